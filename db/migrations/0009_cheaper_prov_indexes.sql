DROP INDEX "prov_node_hosts_host_id_idx";--> statement-breakpoint
DROP INDEX "prov_relations_host_id_idx";--> statement-breakpoint
DROP INDEX "prov_nodes_ext_id_key";--> statement-breakpoint
DROP INDEX "prov_nodes_service_id_idx";--> statement-breakpoint
DROP INDEX "prov_relations_ext_id_key";--> statement-breakpoint
DROP INDEX "prov_relations_from_ext_id_idx";--> statement-breakpoint
DROP INDEX "prov_relations_to_ext_id_idx";--> statement-breakpoint
CREATE INDEX "prov_nodes_ext_id_hash_idx" ON "prov_nodes" USING hash ("ext_id");--> statement-breakpoint
CREATE INDEX "prov_relations_ext_id_hash_idx" ON "prov_relations" USING hash ("ext_id");--> statement-breakpoint
CREATE UNIQUE INDEX "prov_nodes_ext_id_key" ON "prov_nodes" USING btree ("ext_id" collate "C");--> statement-breakpoint
CREATE INDEX "prov_nodes_service_id_idx" ON "prov_nodes" USING btree ("service_id") WHERE "prov_nodes"."service_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "prov_relations_ext_id_key" ON "prov_relations" USING btree ("ext_id" collate "C");--> statement-breakpoint
CREATE INDEX "prov_relations_from_ext_id_idx" ON "prov_relations" USING hash ("from_ext_id");--> statement-breakpoint
CREATE INDEX "prov_relations_to_ext_id_idx" ON "prov_relations" USING hash ("to_ext_id");