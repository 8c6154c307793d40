ALTER TABLE "labels" DROP CONSTRAINT "labels_category_id_data_categories_id_fk";
--> statement-breakpoint
ALTER TABLE "labels" DROP CONSTRAINT "labels_purpose_id_purposes_id_fk";
--> statement-breakpoint
DROP INDEX "labels_category_id_idx";--> statement-breakpoint
DROP INDEX "labels_purpose_id_idx";--> statement-breakpoint
-- A node's labels (decision 45): its node_labels rows when it has any (then they are complete);
-- else what its data-carrying relations deliver, resolved backwards to the nearest nodes that
-- have rows (a node whose labels follow from its one predecessor's stores nothing). Rows of
-- (since, label ids), as node_labels joined to label_sets. Keep in step with db/labels/sql.ts
-- (CARRIES, ORDERED, DELIVERED_SINCE; tests/integration/db/labels-chains.test.ts checks).
CREATE OR REPLACE FUNCTION "node_label_rows"(text)
  RETURNS TABLE(since timestamptz, label_ids integer[])
  LANGUAGE sql STABLE AS $$
  with recursive back(node, cutoff, since, unordered) as (
    select $1 collate "C", 'infinity'::timestamptz, null::timestamptz, false
    union
    select r.to_ext_id,
           case when t.orders then t.at else b.cutoff end,
           coalesce(b.since, case when t.orders then t.at else '-infinity'::timestamptz end),
           b.unordered or not (t.orders is true or r.ext_id like 'cf:%' or r.ext_id like 'spade:%')
    from back b
    join prov_relations r on r.from_ext_id = b.node
    left join relation_times t on t.relation_id = r.id
    where not exists (select 1 from node_labels h where h.node_ext_id = b.node)
      and r.kind in ('used', 'wasGeneratedBy', 'wasInformedBy', 'wasDerivedFrom')
      and r.from_ext_id <> r.to_ext_id
      and coalesce(r.attributes->>'cf:allowed', r.attributes->>'allowed', 'true') <> 'false'
      and (t.orders is not true or t.at <= b.cutoff)
  )
  select coalesce(b.since, nl.since),
         array_agg(distinct case when b.unordered then -abs(x.id) else x.id end
                   order by case when b.unordered then -abs(x.id) else x.id end)
  from back b
  join node_labels nl on nl.node_ext_id = b.node and nl.since <= b.cutoff
  join label_sets ls on ls.id = nl.label_set_id
  cross join lateral unnest(ls.label_ids) as x(id)
  group by 1
$$;
