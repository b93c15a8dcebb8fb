from ninja import Router, Schema

from tercero.delivery.work import selectors
from tercero.platform.api.caller import caller_of

router = Router(tags=["errands"])


class ErrandOut(Schema):
    id: int
    title: str


@router.get("/errands/{item_id}", response=ErrandOut)
def errand(request, item_id: int):
    caller = caller_of(request)
    # another client's errand is not found, whatever the caller's permissions
    item = selectors.access_item(client_ids=caller.client_ids, item_id=item_id)
    caller.require("errands:read")
    return item
