"""Forms of the onboarding pages. They check what a person typed, field by
field, with the same rules the services apply; they save nothing."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.kernel.forms import PortalForm

from . import rules


def _checked(rule, value, **kwargs):
    try:
        return rule(value, **kwargs)
    except rules.RuleViolation as violation:
        raise forms.ValidationError(violation.message, code=violation.code) from None


class VerificationForm(PortalForm):
    legal_name = forms.CharField(label=_("真实姓名"), max_length=30, help_text=_("与身份证上的姓名一致"))
    id_number = forms.CharField(label=_("身份证号"), max_length=18, min_length=1, help_text=_("18 位居民身份证号码"))
    phone = forms.CharField(label=_("手机号"), max_length=20, help_text=_("用于接收结算与提现通知"))
    consent = forms.BooleanField(
        label=_("我已阅读并同意上述个人信息使用说明"),
        error_messages={"required": _("请阅读并同意个人信息使用说明。")},
    )

    def clean_legal_name(self):
        return _checked(rules.legal_name_check, self.cleaned_data["legal_name"])

    def clean_id_number(self):
        return _checked(rules.resident_id_check, self.cleaned_data["id_number"], today=timezone.localdate()).number

    def clean_phone(self):
        return _checked(rules.phone_check, self.cleaned_data["phone"])


class AlipayBindForm(PortalForm):
    account = forms.CharField(label=_("支付宝账号"), max_length=100, help_text=_("手机号或邮箱"))
    account_again = forms.CharField(label=_("再次输入支付宝账号"), max_length=100)
    holder_confirmed = forms.BooleanField(
        error_messages={"required": _("请确认该支付宝账号的实名与你的认证姓名一致，且绑定后不能更改。")},
    )

    def __init__(self, *args, masked_name="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder_confirmed"].label = _(
            "我确认该支付宝账号的实名认证姓名为“%(name)s”，并知晓绑定后不能更改"
        ) % {"name": masked_name}

    def clean_account(self):
        return _checked(rules.alipay_account_check, self.cleaned_data["account"])

    def clean(self):
        cleaned = super().clean()
        again = cleaned.get("account_again", "")
        if "account" in cleaned and not self._same_account(cleaned["account"], again):
            self.add_error("account_again", _("两次输入的支付宝账号不一致。"))
        return cleaned

    @staticmethod
    def _same_account(account, again):
        try:
            return rules.alipay_account_check(again) == account
        except rules.RuleViolation:
            return False


class CancelForm(PortalForm):
    understood = forms.BooleanField(
        label=_("我知晓注销后未提现的返利将作废，且不能恢复"),
        error_messages={"required": _("请确认你已知晓注销的后果。")},
    )
    password = forms.CharField(label=_("登录密码"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        if not self.user.check_password(self.cleaned_data["password"]):
            raise forms.ValidationError(_("密码不正确。"), code="wrong_password")
        return ""
