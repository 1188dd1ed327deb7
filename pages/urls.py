from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import views
from .sitemaps import SITEMAPS

app_name = "pages"

urlpatterns = [
    path("insights/", views.insights, name="insights"),
    path("insights/<slug:chart>.csv", views.insights_csv, name="insights-csv"),
    path("search/", views.search, name="search"),
    path("data/", views.open_data, name="data"),
    path("about/", views.about, name="about"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path("contact/", views.contact, name="contact"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]
