from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("workstreams", views.WorkstreamViewSet, basename="workstream")
router.register("initiatives", views.InitiativeViewSet, basename="initiative")

urlpatterns = router.urls
