ALTER TABLE "prov_node_hosts" DROP CONSTRAINT "prov_node_hosts_node_id_prov_nodes_id_fk";
--> statement-breakpoint
ALTER TABLE "prov_node_hosts" DROP CONSTRAINT "prov_node_hosts_host_id_hosts_id_fk";
--> statement-breakpoint
ALTER TABLE "prov_relations" DROP CONSTRAINT "prov_relations_host_id_hosts_id_fk";
