CREATE TABLE `run_events` (
	`run_id` integer NOT NULL,
	`seq` integer NOT NULL,
	`t` integer NOT NULL,
	`type` text NOT NULL,
	`host` text,
	`step` text,
	`data` text NOT NULL,
	PRIMARY KEY(`run_id`, `seq`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `run_events_host` ON `run_events` (`run_id`,`host`);--> statement-breakpoint
CREATE TABLE `run_output` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer NOT NULL,
	`host` text NOT NULL,
	`step` text NOT NULL,
	`stream` text NOT NULL,
	`t` integer NOT NULL,
	`data` text NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `run_output_step` ON `run_output` (`run_id`,`host`,`step`,`id`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`site_id` integer NOT NULL,
	`revision` integer NOT NULL,
	`deployment` text NOT NULL,
	`title` text NOT NULL,
	`status` text NOT NULL,
	`requested_by` text NOT NULL,
	`reason` text DEFAULT '' NOT NULL,
	`plan` text NOT NULL,
	`options` text NOT NULL,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`message` text,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `runs_site` ON `runs` (`site_id`,`id`);--> statement-breakpoint
CREATE INDEX `runs_status` ON `runs` (`status`);