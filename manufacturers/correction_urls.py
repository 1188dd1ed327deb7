from django.urls import path

from . import correction_views

app_name = "corrections"

urlpatterns = [
    path("sites/<slug:slug>/correction/", correction_views.site_correction, name="site-correction"),
    path(
        "sites/<slug:slug>/correction/sent/",
        correction_views.site_correction_sent,
        name="site-correction-sent",
    ),
    path(
        "organisations/<slug:slug>/correction/",
        correction_views.organisation_correction,
        name="organisation-correction",
    ),
    path(
        "organisations/<slug:slug>/correction/sent/",
        correction_views.organisation_correction_sent,
        name="organisation-correction-sent",
    ),
]
