-- DuckDB: account as of its newest snapshots (the files model.json lists),
-- with the column names of model.json. The CSV dialect is given in full:
-- values may hold line breaks, which DuckDB's dialect sniffer misreads.
SET VARIABLE lake = '/mnt/dataverse-prod-org5b3f1e0a';
CREATE TEMP TABLE account AS
  SELECT e.* FROM (SELECT unnest(entities) AS e
                   FROM read_json(getvariable('lake') || '/model.json'))
  WHERE e.name = 'account';
SET VARIABLE files = (SELECT [getvariable('lake') || '/account/Snapshot/' ||
                              parse_filename(p.location) FOR p IN partitions] FROM account);
SET VARIABLE columns = (SELECT [a.name FOR a IN attributes] FROM account);
SELECT name, revenue
FROM read_csv(getvariable('files'), names = getvariable('columns'),
              header = false, all_varchar = true,
              new_line = '\n', delim = ',', quote = '"', escape = '"')
LIMIT 5;
