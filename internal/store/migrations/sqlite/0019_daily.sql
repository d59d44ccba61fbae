-- Analytics over a long range at the cost of its days (sqlite).
--
-- metric_daily: per platform and UTC day, what the analytics page adds up
-- over the published targets of that day: how many, the sums and counts of
-- views at +1h, +24h and +7d, the engagement at +24h (likes + comments +
-- shares of the targets with views, and those views), and every +24h views
-- value (comma-separated, for an exact median). It is derived data, rebuilt
-- from targets and metric_summary.
--
-- metric_daily_dirty: the days whose row may be out of date. Triggers mark
-- a day whenever a target enters or leaves 'published' (or its publication
-- time or platform changes) and whenever a summary row changes, in the
-- writing transaction itself, so no write path can forget it; a periodic
-- job rebuilds marked days and unmarks them. gen counts the marks: a day
-- re-marked while it was being rebuilt keeps its mark (the job deletes only
-- the generation it read). Until a day is rebuilt, the page reads that
-- day's targets themselves: the numbers are exact either way.
CREATE TABLE metric_daily (
    platform  TEXT NOT NULL,
    day       TEXT NOT NULL,
    posts     INTEGER NOT NULL,
    v1h_sum   INTEGER NOT NULL,
    v1h_n     INTEGER NOT NULL,
    v24h_sum  INTEGER NOT NULL,
    v24h_n    INTEGER NOT NULL,
    v7d_sum   INTEGER NOT NULL,
    v7d_n     INTEGER NOT NULL,
    eng       INTEGER NOT NULL,
    eng_views INTEGER NOT NULL,
    v24h_list TEXT NOT NULL,
    PRIMARY KEY (platform, day)
);
CREATE INDEX metric_daily_day ON metric_daily (day);

CREATE TABLE metric_daily_dirty (
    platform TEXT NOT NULL,
    day      TEXT NOT NULL,
    gen      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (platform, day)
);

CREATE TRIGGER metric_daily_target_insert AFTER INSERT ON targets
WHEN NEW.state = 'published' AND NEW.published_at IS NOT NULL
BEGIN
    INSERT INTO metric_daily_dirty (platform, day) VALUES (NEW.platform, substr(NEW.published_at, 1, 10))
        ON CONFLICT (platform, day) DO UPDATE SET gen = gen + 1;
END;

CREATE TRIGGER metric_daily_target_update AFTER UPDATE OF state, published_at, platform ON targets
WHEN (OLD.state = 'published' OR NEW.state = 'published')
    AND (OLD.state IS NOT NEW.state OR OLD.published_at IS NOT NEW.published_at OR OLD.platform IS NOT NEW.platform)
BEGIN
    INSERT INTO metric_daily_dirty (platform, day)
        SELECT OLD.platform, substr(OLD.published_at, 1, 10) WHERE OLD.state = 'published' AND OLD.published_at IS NOT NULL
        ON CONFLICT (platform, day) DO UPDATE SET gen = gen + 1;
    INSERT INTO metric_daily_dirty (platform, day)
        SELECT NEW.platform, substr(NEW.published_at, 1, 10) WHERE NEW.state = 'published' AND NEW.published_at IS NOT NULL
        ON CONFLICT (platform, day) DO UPDATE SET gen = gen + 1;
END;

CREATE TRIGGER metric_daily_target_delete AFTER DELETE ON targets
WHEN OLD.state = 'published' AND OLD.published_at IS NOT NULL
BEGIN
    INSERT INTO metric_daily_dirty (platform, day) VALUES (OLD.platform, substr(OLD.published_at, 1, 10))
        ON CONFLICT (platform, day) DO UPDATE SET gen = gen + 1;
END;

CREATE TRIGGER metric_daily_summary_insert AFTER INSERT ON metric_summary
BEGIN
    INSERT INTO metric_daily_dirty (platform, day)
        SELECT t.platform, substr(t.published_at, 1, 10) FROM targets t
        WHERE t.id = NEW.target_id AND t.state = 'published' AND t.published_at IS NOT NULL
        ON CONFLICT (platform, day) DO UPDATE SET gen = gen + 1;
END;

CREATE TRIGGER metric_daily_summary_update AFTER UPDATE ON metric_summary
BEGIN
    INSERT INTO metric_daily_dirty (platform, day)
        SELECT t.platform, substr(t.published_at, 1, 10) FROM targets t
        WHERE t.id = NEW.target_id AND t.state = 'published' AND t.published_at IS NOT NULL
        ON CONFLICT (platform, day) DO UPDATE SET gen = gen + 1;
END;

CREATE TRIGGER metric_daily_summary_delete AFTER DELETE ON metric_summary
BEGIN
    INSERT INTO metric_daily_dirty (platform, day)
        SELECT t.platform, substr(t.published_at, 1, 10) FROM targets t
        WHERE t.id = OLD.target_id AND t.state = 'published' AND t.published_at IS NOT NULL
        ON CONFLICT (platform, day) DO UPDATE SET gen = gen + 1;
END;

-- Every day that has published targets starts marked: the job builds the
-- rows after the upgrade, and the page is exact meanwhile.
INSERT INTO metric_daily_dirty (platform, day)
    SELECT DISTINCT platform, substr(published_at, 1, 10) FROM targets
    WHERE state = 'published' AND published_at IS NOT NULL;
