DROP INDEX "prov_nodes_ext_id_hash_idx";--> statement-breakpoint
DROP INDEX "prov_relations_ext_id_hash_idx";--> statement-breakpoint
DROP INDEX "prov_nodes_ext_id_key";--> statement-breakpoint
DROP INDEX "prov_relations_ext_id_key";--> statement-breakpoint
DROP INDEX "prov_relations_from_ext_id_idx";--> statement-breakpoint
DROP INDEX "prov_relations_to_ext_id_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "prov_nodes_ext_id_key" ON "prov_nodes" USING btree ("ext_id");--> statement-breakpoint
CREATE UNIQUE INDEX "prov_relations_ext_id_key" ON "prov_relations" USING btree ("ext_id");--> statement-breakpoint
CREATE INDEX "prov_relations_from_ext_id_idx" ON "prov_relations" USING btree ("from_ext_id");--> statement-breakpoint
CREATE INDEX "prov_relations_to_ext_id_idx" ON "prov_relations" USING btree ("to_ext_id");