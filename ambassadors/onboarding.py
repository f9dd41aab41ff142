"""The first steps of an ambassador, as one checklist: join → verify → bind → share.

A pure function of the facts (the membership, its latest verification, whether the link
has had a visitor) gives every page the same steps, the same current step and the same
status wording, so no page can say "pending" while another says "under review"."""

from dataclasses import dataclass

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Verification


class OnboardingStatus(models.TextChoices):
    """Where an ambassador stands, worded once for every page."""

    TO_VERIFY = "to_verify", _("待实名认证")
    UNDER_REVIEW = "under_review", _("实名认证审核中")
    REJECTED = "rejected", _("实名认证未通过")
    TO_BIND = "to_bind", _("待绑定支付宝")
    BOUND = "bound", _("已绑定支付宝")
    CANCELLED = "cancelled", _("已注销")


class StepState(models.TextChoices):
    DONE = "done", _("已完成")
    CURRENT = "current", _("当前步骤")
    WAITING = "waiting", _("等待审核")
    NOT_STARTED = "todo", _("未开始")


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    state: str
    note: str = ""
    action_url: str = ""
    action_label: str = ""

    @property
    def state_label(self):
        return StepState(self.state).label


@dataclass(frozen=True)
class Notice:
    """The outcome of the latest real-name review, shown until the next step is taken."""

    approved: bool
    decided_at: object
    reason: str = ""


@dataclass(frozen=True)
class Checklist:
    status: OnboardingStatus
    steps: list
    notice: Notice | None

    @property
    def current(self):
        return next((step for step in self.steps if step.state in (StepState.CURRENT, StepState.WAITING)), None)

    @property
    def complete(self):
        return all(step.state == StepState.DONE for step in self.steps)


def onboarding_status(ambassador, latest_verification):
    if ambassador.cancelled_at:
        return OnboardingStatus.CANCELLED
    if ambassador.alipay_bound_at:
        return OnboardingStatus.BOUND
    if ambassador.verified_at:
        return OnboardingStatus.TO_BIND
    if latest_verification is not None and latest_verification.status == Verification.Status.SUBMITTED:
        return OnboardingStatus.UNDER_REVIEW
    if latest_verification is not None and latest_verification.status == Verification.Status.REJECTED:
        return OnboardingStatus.REJECTED
    return OnboardingStatus.TO_VERIFY


def onboarding_checklist(ambassador, latest_verification, *, shared):
    """The four steps, the first one not done marked current (or waiting, while staff review)."""
    status = onboarding_status(ambassador, latest_verification)
    verify = _verify_step(ambassador, status)
    bind = _bind_step(ambassador, status)
    share = _share_step(ambassador, shared)
    steps = [Step("join", _("加入云大使"), StepState.DONE, _("已加入")), verify, bind, share]
    # Only the first unfinished step is current; those after it wait their turn.
    seen_open = False
    ordered = []
    for step in steps:
        if step.state != StepState.DONE and seen_open:
            step = Step(step.key, step.title, StepState.NOT_STARTED, step.note)
        seen_open = seen_open or step.state != StepState.DONE
        ordered.append(step)
    return Checklist(status, ordered, review_notice(ambassador, latest_verification))


def _verify_step(ambassador, status):
    title = _("实名认证")
    if ambassador.verified_at:
        note = f"{ambassador.masked_legal_name} · {ambassador.masked_id_number}"
        return Step("verify", title, StepState.DONE, note)
    if status == OnboardingStatus.CANCELLED:
        return Step("verify", title, StepState.NOT_STARTED)
    if status == OnboardingStatus.UNDER_REVIEW:
        return Step(
            "verify", title, StepState.WAITING, _("审核中，通常在 1 个工作日内完成，结果会通过邮件和本页通知你。")
        )
    if status == OnboardingStatus.REJECTED:
        return Step(
            "verify",
            title,
            StepState.CURRENT,
            _("上次提交未通过，请按原因修改后重新提交。"),
            reverse("center:verify"),
            _("重新提交"),
        )
    note = _("提现和平台代缴个税都需要你的真实姓名和身份证号。")
    return Step("verify", title, StepState.CURRENT, note, reverse("center:verify"), _("去实名认证"))


def _bind_step(ambassador, status):
    title = _("绑定支付宝")
    if ambassador.alipay_bound_at:
        return Step("bind", title, StepState.DONE, ambassador.masked_alipay_account)
    if status == OnboardingStatus.TO_BIND:
        note = _("绑定实名与你一致的支付宝账号，返利将提现到该账号；绑定后不能更改。")
        return Step("bind", title, StepState.CURRENT, note, reverse("center:alipay"), _("去绑定支付宝"))
    return Step("bind", title, StepState.NOT_STARTED)


def _share_step(ambassador, shared):
    title = _("分享专属链接")
    if shared:
        return Step("share", title, StepState.DONE, _("已有客户通过你的链接访问。"))
    if ambassador.verified_at and not ambassador.cancelled_at:
        note = _("复制链接或二维码发给客户；第一位客户点击后本步完成。")
        return Step("share", title, StepState.CURRENT, note, reverse("center:link"), _("去分享"))
    return Step("share", title, StepState.NOT_STARTED)


def review_notice(ambassador, latest_verification):
    """The latest review's outcome while it still matters: approved until Alipay is bound,
    rejected until the ambassador submits again."""
    if latest_verification is None or ambassador.cancelled_at or ambassador.alipay_bound_at:
        return None
    if latest_verification.status == Verification.Status.APPROVED:
        return Notice(approved=True, decided_at=latest_verification.decided_at)
    if latest_verification.status == Verification.Status.REJECTED:
        return Notice(
            approved=False, decided_at=latest_verification.decided_at, reason=latest_verification.reject_reason
        )
    return None
