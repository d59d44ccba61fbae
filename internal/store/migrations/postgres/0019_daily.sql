-- Analytics over a long range at the cost of its days (postgres). See the
-- sqlite migration for what the tables hold; days are UTC.
CREATE TABLE metric_daily (
    platform  TEXT NOT NULL,
    day       TEXT NOT NULL,
    posts     BIGINT NOT NULL,
    v1h_sum   BIGINT NOT NULL,
    v1h_n     BIGINT NOT NULL,
    v24h_sum  BIGINT NOT NULL,
    v24h_n    BIGINT NOT NULL,
    v7d_sum   BIGINT NOT NULL,
    v7d_n     BIGINT NOT NULL,
    eng       BIGINT NOT NULL,
    eng_views BIGINT NOT NULL,
    v24h_list TEXT NOT NULL,
    PRIMARY KEY (platform, day)
);
CREATE INDEX metric_daily_day ON metric_daily (day);

CREATE TABLE metric_daily_dirty (
    platform TEXT NOT NULL,
    day      TEXT NOT NULL,
    gen      BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (platform, day)
);

-- The mark takes the row's lock until the writing transaction ends, so the
-- job's "delete the generation I read" waits for it and then sees the new
-- generation: a change committed after the job read the day is never lost.
CREATE FUNCTION metric_daily_mark(p TEXT, at TIMESTAMPTZ) RETURNS void AS $$
BEGIN
    INSERT INTO metric_daily_dirty (platform, day) VALUES (p, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD'))
        ON CONFLICT (platform, day) DO UPDATE SET gen = metric_daily_dirty.gen + 1;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION metric_daily_targets() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state = 'published' AND NEW.published_at IS NOT NULL THEN
            PERFORM metric_daily_mark(NEW.platform, NEW.published_at);
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.state = 'published' AND OLD.published_at IS NOT NULL THEN
            PERFORM metric_daily_mark(OLD.platform, OLD.published_at);
        END IF;
    ELSIF OLD.state IS DISTINCT FROM NEW.state OR OLD.published_at IS DISTINCT FROM NEW.published_at
        OR OLD.platform IS DISTINCT FROM NEW.platform THEN
        IF OLD.state = 'published' AND OLD.published_at IS NOT NULL THEN
            PERFORM metric_daily_mark(OLD.platform, OLD.published_at);
        END IF;
        IF NEW.state = 'published' AND NEW.published_at IS NOT NULL THEN
            PERFORM metric_daily_mark(NEW.platform, NEW.published_at);
        END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER metric_daily_targets AFTER INSERT OR UPDATE OF state, published_at, platform OR DELETE ON targets
    FOR EACH ROW EXECUTE FUNCTION metric_daily_targets();

CREATE FUNCTION metric_daily_summary() RETURNS trigger AS $$
DECLARE
    tid BIGINT;
    p TEXT;
    at TIMESTAMPTZ;
BEGIN
    IF TG_OP = 'DELETE' THEN
        tid := OLD.target_id;
    ELSE
        tid := NEW.target_id;
    END IF;
    SELECT t.platform, t.published_at INTO p, at FROM targets t
        WHERE t.id = tid AND t.state = 'published' AND t.published_at IS NOT NULL;
    IF FOUND THEN
        PERFORM metric_daily_mark(p, at);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER metric_daily_summary AFTER INSERT OR UPDATE OR DELETE ON metric_summary
    FOR EACH ROW EXECUTE FUNCTION metric_daily_summary();

INSERT INTO metric_daily_dirty (platform, day)
    SELECT DISTINCT platform, to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM targets
    WHERE state = 'published' AND published_at IS NOT NULL;
