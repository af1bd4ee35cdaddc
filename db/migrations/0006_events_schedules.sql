CREATE TABLE `notifications` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`site_id` integer NOT NULL,
	`kind` text NOT NULL,
	`channel` text NOT NULL,
	`target` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `notifications_due` ON `notifications` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `notifications_site` ON `notifications` (`site_id`,`id`);--> statement-breakpoint
CREATE TABLE `reaction_state` (
	`site_id` integer NOT NULL,
	`reaction` text NOT NULL,
	`key` text NOT NULL,
	`occurrences` text DEFAULT '[]' NOT NULL,
	`last_fired_at` integer,
	`wait_until` integer,
	`wait_event_id` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`site_id`, `reaction`, `key`),
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `reaction_state_wait` ON `reaction_state` (`wait_until`);--> statement-breakpoint
CREATE TABLE `run_artifacts` (
	`run_id` integer NOT NULL,
	`host` text NOT NULL,
	`step` text NOT NULL,
	`type` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`content` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`run_id`, `host`, `step`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `schedule_fires` (
	`site_id` integer NOT NULL,
	`schedule` text NOT NULL,
	`slot` integer NOT NULL,
	`fired_at` integer NOT NULL,
	`run_id` integer,
	`message` text,
	PRIMARY KEY(`site_id`, `schedule`, `slot`),
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE TABLE `site_event_settings` (
	`site_id` integer PRIMARY KEY NOT NULL,
	`webhook_secret` text,
	`allow_auto_approval` integer DEFAULT false NOT NULL,
	`notify` text DEFAULT '[]' NOT NULL,
	`github` text,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `site_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`site_id` integer NOT NULL,
	`source` text NOT NULL,
	`name` text NOT NULL,
	`labels` text DEFAULT '{}' NOT NULL,
	`data` text DEFAULT '{}' NOT NULL,
	`sender` text NOT NULL,
	`received_at` integer NOT NULL,
	`outcome` text DEFAULT '[]' NOT NULL,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `site_events_site` ON `site_events` (`site_id`,`id`);--> statement-breakpoint
CREATE INDEX `site_events_name` ON `site_events` (`site_id`,`name`,`received_at`);--> statement-breakpoint
ALTER TABLE `runs` ADD `scheduled_for` integer;