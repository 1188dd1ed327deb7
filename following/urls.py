from django.urls import path

from . import feeds, views

app_name = "following"

urlpatterns = [
    # Before manufacturers' `sites/<slug>/`, which would take "feed" and "follow" for slugs.
    path("sites/feed/", feeds.SearchChangesFeed(), name="sites-feed"),
    path("sites/feed.json", feeds.json_feed, name="sites-json-feed"),
    path("sites/follow/", views.follow, name="follow"),
    path("alerts/check-your-email/", views.alert_sent, name="alert-sent"),
    path("alerts/confirm/<str:token>/", views.alert_confirm, name="alert-confirm"),
    path("alerts/<uuid:token>/unsubscribe/", views.alert_unsubscribe, name="alert-unsubscribe"),
    path("alerts/manage/<str:token>/", views.alert_manage, name="alert-manage"),
]
