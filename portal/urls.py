from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from ambassadors import views as ambassador_views
from payouts import views as payout_views
from referrals.attribution import views as referral_views
from referrals.billing import views as referral_api
from referrals.rebates import views as rebate_views

from .kernel.admin import GroupAdmin
from .shell import api, views
from .shell.admin_login import admin_login

# Staff log into the admin through the same accounts and the same throttled
# allauth login as everyone else.
admin.site.login = admin_login
admin.site.site_header = _("云大使 · 运营后台")
admin.site.site_title = _("云大使运营后台")
# Groups' permissions in the page's language (portal/kernel/admin_permissions.py).
admin.site.unregister(Group)
admin.site.register(Group, GroupAdmin)
# The index opens with what waits on each desk (portal/shell/desks.py).
admin.site.index_template = "admin/desk_index.html"
# The desks' lists are wide (orders 10 columns, tax records 8, beside their filters): the page's
# width goes to them, not to a menu of every model; the index and the breadcrumbs lead between them.
admin.site.enable_nav_sidebar = False

center_patterns = [
    path("", views.home, name="home"),
    path("join/", ambassador_views.join, name="join"),
    path("verify/", ambassador_views.verify, name="verify"),
    path("verifications/<int:pk>/", ambassador_views.verification_detail, name="verification"),
    path("alipay/", ambassador_views.alipay_bind, name="alipay"),
    path("account/", ambassador_views.account, name="account"),
    path("account/cancel/", views.account_cancel, name="cancel"),
    path("account/tokens/", views.api_token_create_view, name="token_create"),
    path("account/tokens/<int:pk>/revoke/", views.api_token_revoke_view, name="token_revoke"),
    path("link/", referral_views.link, name="link"),
    path("link/qr.<str:kind>", referral_views.link_qr, name="link_qr"),
    path("orders/", rebate_views.orders, name="orders"),
    path("tasks/", rebate_views.tasks, name="tasks"),
    path("news/", rebate_views.news, name="news"),
    path("customers/", referral_views.customers, name="customers"),
    path("withdrawals/", payout_views.withdrawals, name="withdrawals"),
    path("withdrawals/<int:pk>/state", payout_views.withdrawal_state, name="withdrawal_state"),
    path("tax/", payout_views.tax, name="tax"),
]

# Django tries the patterns in order: the link, which every click of every shared link hits,
# comes first (behind the dozen others, resolving it took 9 µs instead of 4.5).
urlpatterns = [
    path("r/<str:code>", referral_views.follow, name="referral_follow"),
    path("", RedirectView.as_view(pattern_name="center:home", permanent=False)),
    path("center/", include((center_patterns, "center"))),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/me", api.me, name="api_me"),
    path("api/v1/me/overview", api.overview, name="api_overview"),
    path("api/v1/me/rebate-orders", api.rebate_orders, name="api_rebate_orders"),
    path("api/v1/me/customers", api.customers, name="api_customers"),
    path("api/v1/events", referral_api.events, name="api_events"),
    path("api/v1/events/<path:event_id>", referral_api.event, name="api_event"),
    path("welcome/", referral_views.welcome, name="customer_welcome"),
]
# /healthz is answered by portal.shell.health.HealthzMiddleware, ahead of the host check and the HTTPS redirect.
