from django.http import JsonResponse


def minimal(request):
    """The benchmark's ceiling for any Django endpoint: the full middleware stack, no database, tiny JSON."""
    return JsonResponse({"ok": True})
