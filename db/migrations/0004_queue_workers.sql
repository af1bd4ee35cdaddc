CREATE TABLE `introspection_tokens` (
	`hash` text PRIMARY KEY NOT NULL,
	`run_id` integer NOT NULL,
	`site` text NOT NULL,
	`revision` integer NOT NULL,
	`host` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `introspection_tokens_run` ON `introspection_tokens` (`run_id`);--> statement-breakpoint
CREATE TABLE `workers` (
	`id` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`pid` integer NOT NULL,
	`version` text NOT NULL,
	`started_at` integer NOT NULL,
	`seen_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `runs` ADD `last_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `queued_at` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `worker` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `lease_expires_at` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `cancel_requested_by` text;--> statement-breakpoint
CREATE INDEX `runs_queue` ON `runs` (`status`,`queued_at`,`id`);--> statement-breakpoint
ALTER TABLE `sites` ADD `parallel_runs` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
-- Data (hand-added): the store numbers new events from last_seq, so existing runs start from their newest event.
UPDATE `runs` SET `last_seq` = coalesce((SELECT max(`seq`) FROM `run_events` WHERE `run_events`.`run_id` = `runs`.`id`), 0);--> statement-breakpoint
-- Approved runs waiting to execute are now `queued` (FIFO by queued_at, id).
UPDATE `runs` SET `status` = 'queued', `queued_at` = coalesce(`approved_at`, `created_at`) WHERE `status` = 'approved';
