from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("case-studies", views.CaseStudyViewSet, basename="case-study")

urlpatterns = router.urls
