"""A collectivité's site's URLs plus the bare view (bench only)."""

from django.urls import path

from bench.urls_bench_public import bare
from portal.urls_tenants import urlpatterns as portal_urlpatterns

urlpatterns = [path("__bare__/", bare), *portal_urlpatterns]
