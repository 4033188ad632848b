-- DuckDB: every snapshot of account, columns named from model.json by hand
SELECT column03 AS accountid, column04 AS name
FROM read_csv('/mnt/dataverse-prod-org5b3f1e0a/account/Snapshot/*.csv',
              header = false, all_varchar = true)
LIMIT 5;
