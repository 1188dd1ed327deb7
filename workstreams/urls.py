from django.urls import path

from . import views

app_name = "workstreams"

urlpatterns = [
    path("workstreams/", views.workstream_list, name="workstream-list"),
    path("workstreams/<slug:slug>/", views.workstream_detail, name="workstream-detail"),
    path("initiatives/<slug:slug>/", views.initiative_detail, name="initiative-detail"),
]
