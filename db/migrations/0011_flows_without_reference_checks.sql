ALTER TABLE "flows" DROP CONSTRAINT "flows_category_id_data_categories_id_fk";
--> statement-breakpoint
ALTER TABLE "flows" DROP CONSTRAINT "flows_source_purpose_id_purposes_id_fk";
--> statement-breakpoint
ALTER TABLE "flows" DROP CONSTRAINT "flows_via_service_id_services_id_fk";
--> statement-breakpoint
ALTER TABLE "flows" DROP CONSTRAINT "flows_purpose_id_purposes_id_fk";
--> statement-breakpoint
DROP INDEX "flows_category_id_idx";--> statement-breakpoint
DROP INDEX "flows_via_service_id_idx";--> statement-breakpoint
DROP INDEX "flows_purpose_id_idx";--> statement-breakpoint
DROP INDEX "flows_source_purpose_id_idx";