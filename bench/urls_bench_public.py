"""The back-office's URLs plus the bare view (bench only)."""

from django.http import HttpResponse
from django.urls import path

from portal.urls_public import urlpatterns as portal_urlpatterns


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("__bare__/", bare), *portal_urlpatterns]
