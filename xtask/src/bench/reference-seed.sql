-- seed.sql in the reference implementation's schema (launchbadge/realworld-axum-sqlx):
-- same users, articles, tags, and favourites and follows in the same proportions.
INSERT INTO "user" (username, email, password_hash, bio)
  SELECT 'bench' || i, 'bench' || i || '@example.com', (SELECT password_hash FROM "user" WHERE username = 'bench0'),
         'Writer number ' || i
  FROM generate_series(1, 49) i;
INSERT INTO article (user_id, slug, title, description, body, tag_list, created_at)
  SELECT (SELECT user_id FROM "user" WHERE username = 'bench' || (i % 50)), 'bench-article-' || i,
         'Bench article ' || i, 'What article ' || i || ' is about', repeat('Some body text. ', 100),
         ARRAY(SELECT 'tag' || t FROM generate_series(0, 9) t WHERE (i + t) % 4 = 0 ORDER BY 1),
         now() - make_interval(mins => 500 - i)
  FROM generate_series(0, 499) i;
INSERT INTO article_favorite (user_id, article_id)
  SELECT u.user_id, a.article_id FROM "user" u JOIN article a ON abs(hashtext(u.username || a.slug)) % 10 = 0;
INSERT INTO follow (following_user_id, followed_user_id)
  SELECT f.user_id, g.user_id FROM "user" f JOIN "user" g
    ON f.user_id <> g.user_id AND abs(hashtext(f.username || g.username)) % 5 = 0;
ANALYZE;
