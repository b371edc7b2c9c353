"""Emulator workaround for the soak and load runs (docs/SECURITY.md, "moto").

moto 5.2.1 makes TransactWriteItems all-or-nothing by deep-copying every table a
transaction touches before it starts, and putting the copies back when it fails. That
costs time in proportion to the tables' size, stream records included (about 0.25 ms
per item per transaction here), so a run that files a thousand documents spends most
of its time copying tables; and a rollback puts back whole tables, erasing what other
requests wrote meanwhile, which DynamoDB never does.

Python imports this module at start-up when its directory is on PYTHONPATH; the soak
and load commands put it there for the moto_server they start, and only for it. It
changes two things, as DynamoDB behaves:

- Every condition of a transaction is evaluated first, against the items as they are,
  before anything is written; a failed condition cancels the transaction with the same
  reasons moto gives, and nothing was written, so no stream record comes and goes.
- The table copies are replaced with an undo record of the items the transaction
  names. Should a write still fail, those items are put back and the stream records the
  transaction appended are dropped, as moto's own rollback drops them.

- Each write request (PutItem, UpdateItem, DeleteItem, BatchWriteItem,
  TransactWriteItems) runs under one lock, from reading its condition to rendering its
  answer: moto serves requests on threads and its condition check and write are two
  steps, so two parallel conditional writes could both pass where DynamoDB lets one.

Updates, validation and errors stay moto's own code.
"""

import copy as _copy
import threading as _threading

try:
    import moto.dynamodb.models as _models
    import moto.dynamodb.responses as _responses
    from moto.dynamodb.comparisons import get_filter_expression as _condition
    from moto.dynamodb.exceptions import ConditionalCheckFailed as _Failed
    from moto.dynamodb.exceptions import TransactionCanceledException as _Canceled
    from moto.dynamodb.models.dynamo_type import DynamoType as _DynamoType
    from moto.dynamodb.models.table import Table as _Table
except Exception:  # another Python program, or another moto: leave it alone
    _models = None

_state = _threading.local()


class _Copy:
    """Stands for the copy module inside moto.dynamodb.models: a table being "copied"
    for a transaction's rollback is the live table; everything else is copied."""

    def __getattr__(self, name):
        return getattr(_copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        if getattr(_state, "transaction", False) and isinstance(value, _Table):
            return value
        return _copy.deepcopy(value, memo)


def _key(table, op):
    """The key an operation names, as moto's DynamoTypes, or None."""
    attrs = op.get("Key") or op.get("Item") or {}
    if table.hash_key_attr not in attrs:
        return None
    hash_value = _DynamoType(attrs[table.hash_key_attr])
    range_value = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in attrs:
            return None
        range_value = _DynamoType(attrs[table.range_key_attr])
    return hash_value, range_value


def _put_back(table, hash_value, range_value, previous):
    """Restores one item as it was, without a stream record."""
    if range_value is not None:
        if previous is None:
            table.items.get(hash_value, {}).pop(range_value, None)
        else:
            table.items[hash_value][range_value] = previous
    elif previous is None:
        table.items.pop(hash_value, None)
    else:
        table.items[hash_value] = previous


def _failed_conditions(backend, transact_items):
    """The cancellation reasons of a transaction whose conditions do not all hold, or
    None. Operations moto would refuse for another reason are left to moto."""
    reasons, failed = [], False
    for entry in transact_items:
        try:
            op_type, op = next(iter(entry.items()))
            table = backend.tables[op["TableName"]]
            key = _key(table, op)
            expression = op.get("ConditionExpression")
            if key is None or op_type not in ("ConditionCheck", "Put", "Delete", "Update"):
                return None
            current = table.get_item(*key)
            if expression is None or _condition(expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")).expr(current):
                reasons.append((None, None, None))
                continue
        except Exception:
            return None
        item = None
        if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
            item = current.to_json()["Attributes"]
        reasons.append(("ConditionalCheckFailed", _Failed().message, item))
        failed = True
    return reasons if failed else None


def _install():
    original = _models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        reasons = _failed_conditions(self, transact_items)
        if reasons is not None:
            raise _Canceled(reasons)
        undo, shards = [], {}
        for entry in transact_items:
            try:
                _, op = next(iter(entry.items()))
                table = self.tables.get(op.get("TableName"))
            except Exception:
                continue
            if table is None:
                continue
            key = _key(table, op)
            if key is None:
                continue
            previous = table.get_item(*key)
            undo.append((table, key[0], key[1], _copy.deepcopy(previous)))
            if table.stream_shard is not None and id(table) not in shards:
                shards[id(table)] = (table.stream_shard, len(table.stream_shard.items))
        _state.transaction = True
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, previous in reversed(undo):
                _put_back(table, hash_value, range_value, previous)
            for shard, length in shards.values():
                del shard.items[length:]
            raise
        finally:
            _state.transaction = False

    _models.copy = _Copy()
    _models.DynamoDBBackend.transact_write_items = transact_write_items

    writes = _threading.RLock()

    def serialised(method):
        def run(self, *args, **kwargs):
            with writes:
                return method(self, *args, **kwargs)
        return run

    for name in ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"):
        setattr(_responses.DynamoHandler, name, serialised(getattr(_responses.DynamoHandler, name)))


if _models is not None:
    _install()
