CREATE TABLE `project_members` (
	`project_id` integer NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `user_id`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `project_members_user` ON `project_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `projects_slug_unique` ON `projects` (`slug`);--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `project_id` integer REFERENCES projects(id) ON DELETE cascade;--> statement-breakpoint
ALTER TABLE `sites` ADD `project_id` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX `sites_project` ON `sites` (`project_id`);--> statement-breakpoint
-- Data (hand-added): every existing site goes to the project `default` (id 1, the column's default).
INSERT INTO `projects` (`id`, `slug`, `name`, `description`, `created_at`) VALUES (1, 'default', 'Default', '', unixepoch() * 1000);--> statement-breakpoint
UPDATE `sites` SET `project_id` = 1;--> statement-breakpoint
-- sites.project_id -> projects.id as triggers (hand-added): SQLite adds a referencing NOT NULL column only by
-- rebuilding the table, and inside the migration's transaction (foreign keys on) dropping the old one would
-- cascade-delete every site's revisions, runs and memberships. A project with sites cannot be deleted.
CREATE TRIGGER `sites_project_insert` BEFORE INSERT ON `sites` FOR EACH ROW
WHEN NOT EXISTS (SELECT 1 FROM `projects` WHERE `id` = NEW.`project_id`)
BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: sites.project_id'); END;--> statement-breakpoint
CREATE TRIGGER `sites_project_update` BEFORE UPDATE OF `project_id` ON `sites` FOR EACH ROW
WHEN NOT EXISTS (SELECT 1 FROM `projects` WHERE `id` = NEW.`project_id`)
BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: sites.project_id'); END;--> statement-breakpoint
CREATE TRIGGER `projects_delete_empty` BEFORE DELETE ON `projects` FOR EACH ROW
WHEN EXISTS (SELECT 1 FROM `sites` WHERE `project_id` = OLD.`id`)
BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: the project has sites'); END;