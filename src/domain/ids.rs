//! Database ids, one type per table, so an article id never stands in for a user id.

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(i64);

        impl $name {
            pub fn new(id: i64) -> Self {
                Self(id)
            }

            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id!(
    /// `users.id`
    UserId
);
id!(
    /// `articles.id`
    ArticleId
);
id!(
    /// `comments.id`
    CommentId
);

impl CommentId {
    /// The id in `/articles/{slug}/comments/{id}`: a number, or no such comment.
    pub fn parse(value: &str) -> Option<Self> {
        value.parse().ok().map(Self)
    }
}
