from django.urls import path

from . import feeds, views

app_name = "casestudies"

urlpatterns = [
    path("case-studies/", views.case_study_list, name="case-study-list"),
    path("case-studies/feed/", feeds.CaseStudyFeed(), name="case-study-feed"),
    path("case-studies/preview/<str:token>/", views.case_study_preview, name="case-study-preview"),
    path("case-studies/<slug:slug>/", views.case_study_detail, name="case-study-detail"),
]
