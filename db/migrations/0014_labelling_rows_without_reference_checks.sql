ALTER TABLE "service_entries" DROP CONSTRAINT "service_entries_label_set_id_label_sets_id_fk";
--> statement-breakpoint
ALTER TABLE "node_labels" DROP CONSTRAINT "node_labels_label_set_id_label_sets_id_fk";
--> statement-breakpoint
ALTER TABLE "relation_times" DROP CONSTRAINT "relation_times_relation_id_prov_relations_id_fk";
--> statement-breakpoint
DROP INDEX "node_labels_label_set_id_idx";