ALTER TABLE "service_entries" ALTER COLUMN "entry" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "service_entries" ALTER COLUMN "from_ext_id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "service_entries" ALTER COLUMN "to_ext_id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "node_labels" ALTER COLUMN "node_ext_id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "prov_nodes" ALTER COLUMN "ext_id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "prov_relations" ALTER COLUMN "ext_id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "prov_relations" ALTER COLUMN "from_ext_id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "prov_relations" ALTER COLUMN "to_ext_id" SET DATA TYPE text COLLATE "C";