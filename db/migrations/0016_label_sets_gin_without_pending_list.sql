DROP INDEX "label_sets_label_ids_idx";--> statement-breakpoint
CREATE INDEX "label_sets_label_ids_idx" ON "label_sets" USING gin ("label_ids") WITH (fastupdate=false);