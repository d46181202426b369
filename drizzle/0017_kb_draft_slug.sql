-- A slug sent with a draft of a published translation waits for the draft to be published (links to
-- the live text keep working), and goes with the draft when it is discarded.
ALTER TABLE "kb_article_translations" ADD COLUMN "draft_slug" text;