-- The rest of the bench seed, after bench0 registered through the API (a real hash).
INSERT INTO users (username, email, password_hash, bio)
  SELECT 'bench' || i, 'bench' || i || '@example.com', (SELECT password_hash FROM users WHERE username = 'bench0'),
         'Writer number ' || i
  FROM generate_series(1, 49) i;
INSERT INTO tags (name) SELECT 'tag' || i FROM generate_series(0, 9) i;
INSERT INTO articles (slug, author_id, title, description, body, created_at)
  SELECT 'bench-article-' || i, (SELECT id FROM users WHERE username = 'bench' || (i % 50)),
         'Bench article ' || i, 'What article ' || i || ' is about', repeat('Some body text. ', 100),
         now() - make_interval(mins => 500 - i)
  FROM generate_series(0, 499) i;
INSERT INTO article_tags (article_id, tag_id)
  SELECT a.id, t.id FROM articles a JOIN tags t ON (a.id + t.id) % 4 = 0;
INSERT INTO favorites (user_id, article_id)
  SELECT u.id, a.id FROM users u JOIN articles a ON (u.id * 7 + a.id) % 10 = 0;
INSERT INTO follows (follower_id, followee_id)
  SELECT f.id, g.id FROM users f JOIN users g ON f.id <> g.id AND (f.id + g.id) % 5 = 0;
UPDATE articles a SET
  favorites_count = (SELECT count(*) FROM favorites f WHERE f.article_id = a.id),
  tag_list = ARRAY(SELECT t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id
                   WHERE at.article_id = a.id ORDER BY t.name);
ANALYZE;
