import json, sys
import pandas as pd
lake = sys.argv[1] if len(sys.argv) > 1 else "/mnt/dataverse-prod-org5b3f1e0a"
model = json.load(open(f"{lake}/model.json"))
account = next(e for e in model["entities"] if e["name"] == "account")
cols = [a["name"] for a in account["attributes"]]
df = pd.concat(pd.read_csv(f"{lake}/account/Snapshot/" + p["location"].rsplit("/", 1)[1],
                           header=None, names=cols) for p in account["partitions"])
print(df[["name", "revenue"]].head())
