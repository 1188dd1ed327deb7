from django.conf import settings


def portal(request):
    """Values every page's header and footer need."""
    return {"PORTAL_NAME": settings.PORTAL_NAME}
