"""S3 events name their writer, as AWS's do (docs/LOCAL.md, "Billing principals").

moto 5.2.1 leaves userIdentity out of S3 event notifications, and ingestion decides by
it whether a file comes from its space's billing (PRODUCT.md §9). AWS writes
"AWS:<RoleId>:<session>" for an assumed role's credentials and "AWS:<UserId>" for a
user's; this patch does the same from the access key that signed the request, using
moto's own STS and IAM records. A request signed by any other key (the local stack's
static "local" key) gets no userIdentity, as before.

localaws.StartMoto puts this directory first on moto_server's PYTHONPATH. Python imports
only the first sitecustomize it finds, so this one then runs the next one on the path
(infra/soak/motofix, for the long runs).
"""

import importlib.util as _util
import os as _os
import sys as _sys
import threading as _threading

_state = _threading.local()

try:
    from moto.iam.models import iam_backends as _iam
    from moto.s3 import notifications as _notifications
    from moto.s3.responses import S3Response as _S3Response
    from moto.sts.models import sts_backends as _sts
except Exception:  # another Python program, or another moto: leave it alone
    _notifications = None


def _principal_id(access_key):
    """The principalId AWS writes for requests signed with access_key, or None."""
    if not access_key:
        return None
    for account, regions in list(_sts.items()):
        for backend in list(regions.values()):
            role = backend.get_assumed_role_from_access_key(access_key)
            if role is not None:
                return "AWS:" + role.user_id
        for backend in list(_iam[account].values()):
            user = backend.get_user_from_access_key_id(access_key)
            if user is not None:
                return "AWS:" + user.id
    return None


if _notifications is not None:
    _setup_class = _S3Response.setup_class
    _get_s3_event = _notifications._get_s3_event

    def _setup(self, request, full_url, headers):
        _setup_class(self, request, full_url, headers)
        # The event is built in the request's own thread, after this.
        _state.access_key = self.get_access_key()

    def _event(event_name, bucket, key, notification_id):
        event = _get_s3_event(event_name, bucket, key, notification_id)
        principal = _principal_id(getattr(_state, "access_key", None))
        if principal:
            for record in event["Records"]:
                record["userIdentity"] = {"principalId": principal}
        return event

    _S3Response.setup_class = _setup
    _notifications._get_s3_event = _event


def _chain():
    here = _os.path.dirname(_os.path.abspath(__file__))
    for entry in _sys.path:
        path = _os.path.join(_os.path.abspath(entry or "."), "sitecustomize.py")
        if _os.path.dirname(path) != here and _os.path.isfile(path):
            spec = _util.spec_from_file_location("_next_sitecustomize", path)
            module = _util.module_from_spec(spec)
            _sys.modules["_next_sitecustomize"] = module
            spec.loader.exec_module(module)
            return


_chain()
