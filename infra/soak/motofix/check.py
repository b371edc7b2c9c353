"""Checks sitecustomize.py: a failed transaction leaves the items and streams as they
were, a successful one writes, and neither copies tables. Run by TestMotoFix."""
import sitecustomize, time, boto3
from moto import mock_aws
assert sitecustomize._models is not None
with mock_aws():
    c = boto3.client("dynamodb", region_name="eu-west-3")
    c.create_table(TableName="a", KeySchema=[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
        AttributeDefinitions=[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled":True,"StreamViewType":"NEW_AND_OLD_IMAGES"})
    c.create_table(TableName="b", KeySchema=[{"AttributeName":"pk","KeyType":"HASH"}],
        AttributeDefinitions=[{"AttributeName":"pk","AttributeType":"S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled":True,"StreamViewType":"NEW_IMAGE"})
    c.put_item(TableName="b", Item={"pk":{"S":"claim"},"v":{"S":"old"}})
    c.put_item(TableName="a", Item={"pk":{"S":"p"},"sk":{"S":"1"},"n":{"N":"1"}})
    before = c.describe_table(TableName="a")["Table"]["ItemCount"]
    import moto.dynamodb.models as m
    backend = m.dynamodb_backends["123456789012"]["eu-west-3"]
    lens = {t: len(backend.tables[t].stream_shard.items) for t in ("a","b")}
    try:
        c.transact_write_items(TransactItems=[
            {"Put":{"TableName":"a","Item":{"pk":{"S":"p"},"sk":{"S":"2"}}}},
            {"Update":{"TableName":"a","Key":{"pk":{"S":"p"},"sk":{"S":"1"}},"UpdateExpression":"SET n = :v","ExpressionAttributeValues":{":v":{"N":"9"}}}},
            {"Put":{"TableName":"b","Item":{"pk":{"S":"claim"},"v":{"S":"new"}},"ConditionExpression":"attribute_not_exists(pk)"}},
        ])
        raise SystemExit("transaction should fail")
    except c.exceptions.TransactionCanceledException:
        pass
    assert "Item" not in c.get_item(TableName="a", Key={"pk":{"S":"p"},"sk":{"S":"2"}}), "put not undone"
    assert c.get_item(TableName="a", Key={"pk":{"S":"p"},"sk":{"S":"1"}})["Item"]["n"]["N"] == "1", "update not undone"
    assert c.get_item(TableName="b", Key={"pk":{"S":"claim"}})["Item"]["v"]["S"] == "old"
    assert {t: len(backend.tables[t].stream_shard.items) for t in ("a","b")} == lens, "stream records left"
    # A write that fails after others were made: they are undone, item by item.
    try:
        c.transact_write_items(TransactItems=[
            {"Put":{"TableName":"a","Item":{"pk":{"S":"p"},"sk":{"S":"5"}}}},
            {"Update":{"TableName":"a","Key":{"pk":{"S":"p"},"sk":{"S":"1"}},"UpdateExpression":"SET n = n + :v","ExpressionAttributeValues":{":v":{"S":"x"}}}},
        ])
        raise SystemExit("transaction should fail")
    except (c.exceptions.TransactionCanceledException, c.exceptions.ClientError):
        pass
    assert "Item" not in c.get_item(TableName="a", Key={"pk":{"S":"p"},"sk":{"S":"5"}}), "a write of a failed transaction stayed"
    assert c.get_item(TableName="a", Key={"pk":{"S":"p"},"sk":{"S":"1"}})["Item"]["n"]["N"] == "1"
    assert {t: len(backend.tables[t].stream_shard.items) for t in ("a","b")} == lens, "stream records of a failed transaction stayed"
    # The reasons name the failed condition by position, as DynamoDB's do.
    try:
        c.transact_write_items(TransactItems=[
            {"Put":{"TableName":"a","Item":{"pk":{"S":"p"},"sk":{"S":"4"}},"ConditionExpression":"attribute_not_exists(pk)"}},
            {"Delete":{"TableName":"b","Key":{"pk":{"S":"claim"}},"ConditionExpression":"v = :v","ExpressionAttributeValues":{":v":{"S":"other"}},
                "ReturnValuesOnConditionCheckFailure":"ALL_OLD"}},
        ])
        raise SystemExit("transaction should fail")
    except c.exceptions.TransactionCanceledException as e:
        reasons = e.response["CancellationReasons"]
        assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"], reasons
        assert reasons[1]["Item"]["v"]["S"] == "old", reasons
    assert "Item" not in c.get_item(TableName="a", Key={"pk":{"S":"p"},"sk":{"S":"4"}}), "written despite a failed condition"
    assert {t: len(backend.tables[t].stream_shard.items) for t in ("a","b")} == lens, "stream records for a cancelled transaction"
    c.transact_write_items(TransactItems=[{"Put":{"TableName":"a","Item":{"pk":{"S":"p"},"sk":{"S":"3"}}}},{"Put":{"TableName":"b","Item":{"pk":{"S":"x"}}}}])
    assert "Item" in c.get_item(TableName="a", Key={"pk":{"S":"p"},"sk":{"S":"3"}})
    assert len(backend.tables["a"].stream_shard.items) == lens["a"] + 1
        # No table copy: a transaction costs the same on a large table as on a small one.
    for i in range(2000):
        c.put_item(TableName="a", Item={"pk":{"S":"big"},"sk":{"S":"%05d" % i},"v":{"S":"x" * 50}})
    t0 = time.time()
    for i in range(20):
        c.transact_write_items(TransactItems=[{"Put":{"TableName":"a","Item":{"pk":{"S":"t"},"sk":{"S":str(i)}}}}])
    per = (time.time() - t0) / 20
    assert per < 0.05, "%.0f ms per transaction on 2,000 items: the tables are still copied" % (per * 1000)
    # Parallel conditional writes: of 200 increments refused from 5 on, exactly 5 pass.
    import threading
    c.put_item(TableName="b", Item={"pk":{"S":"counter"},"n":{"N":"0"}})
    passed, gate = [], threading.Barrier(20)
    def bump():
        gate.wait()
        for _ in range(10):
            try:
                c.update_item(TableName="b", Key={"pk":{"S":"counter"}}, UpdateExpression="ADD n :one",
                    ConditionExpression="n < :max", ExpressionAttributeValues={":one":{"N":"1"},":max":{"N":"5"}})
                passed.append(1)
            except c.exceptions.ConditionalCheckFailedException:
                pass
    threads = [threading.Thread(target=bump) for _ in range(20)]
    for th in threads: th.start()
    for th in threads: th.join()
    assert len(passed) == 5, "%d parallel conditional increments passed, want 5" % len(passed)
    print("rollback ok, %.1f ms per transaction on 2,000 items" % (per * 1000))
