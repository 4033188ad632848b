-- DuckDB: the Delta table of account at its newest version, from its log
-- (the JSON commits: files added and not removed since), with no extension.
SET VARIABLE t = '/mnt/dataverse-prod-org5b3f1e0a/deltalake/account';
CREATE TEMP TABLE log AS
  SELECT "add".path AS added, "remove".path AS removed
  FROM read_json(getvariable('t') || '/_delta_log/*.json',
                 columns = {'add': 'STRUCT(path VARCHAR)', 'remove': 'STRUCT(path VARCHAR)'});
SET VARIABLE files = (SELECT list(getvariable('t') || '/' || added) FROM log
                      WHERE added IS NOT NULL
                        AND added NOT IN (SELECT removed FROM log WHERE removed IS NOT NULL));
SELECT name, revenue
FROM read_parquet(getvariable('files'), hive_partitioning = true)
ORDER BY name
LIMIT 5;
