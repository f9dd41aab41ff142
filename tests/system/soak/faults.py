"""The faults the soak makes while the load runs: a timeline of (seconds, action). An action that
waits (a kill, then the restart) runs in its own thread, joined before the load ends, so a killed
cluster is always restarted before the workers are asked to drain.

- A worker cluster killed: SIGKILL to the process group of one `qcluster` (bin/run-prod starts
  each with setsid), restarted a few seconds later.
- Alipay stalled: every request held and dropped unanswered for a while; with paying=True each
  transfer is executed first (the money moves, the answer is lost). During the stall the
  ambassadors withdraw more often, and the cluster whose worker is waiting on the gateway is the
  one killed: its withdrawal is left `submitted` with the money moved, for reconciliation.
- Scripted answers: transfers that time out after paying, a system error, a definite refusal.
"""

import threading

from tests.alipay_fake import gateway as fake_gateway

RESTART_AFTER_SHORT = 6
RESTART_AFTER_LONG = 15


def plan(run, *, long):
    d = run.duration
    restart_after = RESTART_AFTER_LONG if long else RESTART_AFTER_SHORT
    steps = []
    if long:
        steps.append((0.15 * d, lambda: _in_thread(run, _kill, run, 1, restart_after, None)))
        steps += _stall(run, 0.3 * d, 30, paying=True, kill=(2, restart_after))
        steps.append((0.6 * d, lambda: _script(run, long=True)))
        steps += _stall(run, 0.8 * d, 20, paying=False, kill=None)
    else:
        steps += _stall(run, 0.4 * d, 12, paying=True, kill=(1, restart_after))
        steps.append((0.65 * d, lambda: _script(run, long=False)))
    return sorted(steps, key=lambda step: step[0])


def _in_thread(run, target, *args):
    thread = threading.Thread(target=target, args=args, name="fault", daemon=True)
    run.fault_threads.append(thread)
    thread.start()


def _kill(run, number, restart_after, waiting_for_gateway):
    """Kill a cluster; with `waiting_for_gateway` (seconds), the first one seen waiting on the
    gateway within that time, else `number`."""
    how = ""
    if waiting_for_gateway:
        deadline = run.now() + waiting_for_gateway
        how = ", no worker was waiting on Alipay"
        while run.now() < deadline and not run.stop.is_set():
            calling = run.shape.cluster_calling(run.shape.gateway.port)
            if calling is not None:
                number, how = calling, ", its worker waiting on Alipay for a transfer"
                break
            run.stop.wait(0.05)
    try:
        group, members = run.shape.kill_cluster(number)
        run.note(f"qcluster #{number} killed: SIGKILL to its process group {group} ({members} processes){how}")
    except RuntimeError as error:  # a process that outlived SIGKILL: say so, and go on
        run.problem(str(error))
    run.stop.wait(restart_after)
    pid = run.shape.start_cluster(number)
    run.note(f"qcluster #{number} restarted (pid {pid})")


def _stall(run, at, seconds, *, paying, kill):
    gateway = run.shape.gateway

    def stalled():
        run.stall_requests_before = len(gateway.requests)
        gateway.stall(seconds, paying=paying)
        run.hurry.set()
        what = "each transfer paid, no answer" if paying else "nothing paid, no answer"
        run.note(f"Alipay gateway stalled for {seconds} s ({what}; requests held {gateway.slow_seconds:g} s)")
        if kill:
            _in_thread(run, _kill, run, kill[0], kill[1], seconds - 1)

    def over():
        run.hurry.clear()
        held = gateway.requests[run.stall_requests_before :]
        transfers = sum(1 for request in held if request.method == fake_gateway.TRANSFER)
        run.note(f"Alipay gateway stall over: {transfers} transfers and {len(held) - transfers} queries held")

    return [(at, stalled), (at + seconds, over)]


def _script(run, *, long):
    behaviours = [fake_gateway.TIMEOUT_AFTER_PAYING] * (3 if long else 2) + [
        fake_gateway.SYSTEM_ERROR,
        "PAYEE_NOT_EXIST",
    ]
    if long:
        behaviours.append(fake_gateway.SERVICE_UNAVAILABLE)
    for behaviour in behaviours:
        run.shape.gateway.script(None, behaviour)
    run.note("Alipay scripted for the next transfers: " + ", ".join(behaviours))
