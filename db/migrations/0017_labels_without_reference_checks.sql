ALTER TABLE "labels" DROP CONSTRAINT "labels_category_id_data_categories_id_fk";
--> statement-breakpoint
ALTER TABLE "labels" DROP CONSTRAINT "labels_purpose_id_purposes_id_fk";
--> statement-breakpoint
DROP INDEX "labels_category_id_idx";--> statement-breakpoint
DROP INDEX "labels_purpose_id_idx";
