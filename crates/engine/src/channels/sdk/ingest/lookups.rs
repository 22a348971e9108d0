//! What one batch's commands look up by foreign id, read in bulk before they run.

use std::collections::{HashMap, HashSet};

use switchboard_domain::conversation::{Content, ContentKind, Identity, Thread};
use switchboard_domain::source::Source;
use switchboard_domain::{Result, SourceId, ThreadId};
use switchboard_store::{Tx, contents, identities, threads};

use super::super::objects::{Command, TypingTarget};

type Key = (SourceId, String);

/// The rows one transaction's commands look up by foreign id, read in bulk before they run and
/// kept current as they write (a later command sees what an earlier one created). Only valid
/// for the transaction it was filled in.
#[derive(Default)]
pub(super) struct Lookups {
    pub(super) identities: HashMap<Key, Option<Identity>>,
    pub(super) threads: HashMap<Key, Option<Thread>>,
    /// Threads known to have contents: the next content of any other thread is its first.
    pub(super) active: HashSet<ThreadId>,
    /// Every content with the foreign id, whatever its kind.
    pub(super) contents: HashMap<Key, Vec<Content>>,
    /// New contents, inserted when the batch finishes.
    pub(super) pending: Vec<Content>,
}

impl Lookups {
    /// Reads what `commands` will look up, a few queries per source.
    pub(super) async fn prefetch(tx: &mut Tx<'_>, commands: &[(&Source, &Command)]) -> Result<Self> {
        /// Foreign ids to read for one source: identities, threads, contents.
        #[derive(Default)]
        struct Wanted<'a> {
            ids: HashSet<&'a str>,
            threads: HashSet<&'a str>,
            contents: HashSet<&'a str>,
        }
        let mut wanted: HashMap<&SourceId, Wanted<'_>> = HashMap::new();
        for (source, command) in commands {
            let Wanted { ids, threads, contents } = wanted.entry(&source.id).or_default();
            match command {
                Command::Content(c) => {
                    contents.insert(&c.foreign_id);
                    ids.insert(&c.author.foreign_id);
                    ids.extend(c.recipient.as_ref().map(|r| r.foreign_id.as_str()));
                    threads.extend(c.thread_foreign_id.as_deref());
                    contents.extend(c.in_reply_to.as_deref());
                }
                Command::Thread(t) => {
                    threads.insert(&t.foreign_id);
                    contents.insert(&t.foreign_id);
                    ids.extend(t.opener.as_ref().map(|o| o.author.foreign_id.as_str()));
                }
                Command::User(u) => {
                    ids.insert(&u.foreign_id);
                }
                Command::MarkAsRead { foreign_id }
                | Command::TypingStart { target: TypingTarget::InReplyTo(foreign_id), .. }
                | Command::TypingStop { target: TypingTarget::InReplyTo(foreign_id) } => {
                    contents.insert(foreign_id);
                }
                Command::TypingStart { target: TypingTarget::Thread(f), .. }
                | Command::TypingStop { target: TypingTarget::Thread(f) } => {
                    threads.insert(f);
                }
            }
        }
        let mut l = Lookups::default();
        for (source, Wanted { ids, threads, contents }) in wanted {
            let key = |f: &str| (source.clone(), f.to_owned());
            let ids: Vec<&str> = ids.into_iter().collect();
            if !ids.is_empty() {
                l.identities.extend(ids.iter().map(|f| (key(f), None)));
                for i in identities::get_many_by_foreign(tx, source, &ids).await? {
                    l.identities.insert(key(&i.foreign_id), Some(i));
                }
            }
            let threads: Vec<&str> = threads.into_iter().collect();
            if !threads.is_empty() {
                l.threads.extend(threads.iter().map(|f| (key(f), None)));
                for (t, has_contents) in threads::get_many_by_foreign_with_activity(tx, source, &threads).await? {
                    if has_contents {
                        l.active.insert(t.id.clone());
                    }
                    if let Some(f) = t.foreign_id.clone() {
                        l.threads.insert(key(&f), Some(t));
                    }
                }
            }
            let contents: Vec<&str> = contents.into_iter().collect();
            if !contents.is_empty() {
                l.contents.extend(contents.iter().map(|f| (key(f), Vec::new())));
                for c in contents::get_many_by_foreign(tx, source, &contents).await? {
                    if let Some(f) = c.foreign_id.clone() {
                        l.contents.entry(key(&f)).or_default().push(c);
                    }
                }
            }
        }
        Ok(l)
    }

    pub(super) async fn identity(
        &mut self,
        tx: &mut Tx<'_>,
        source: &SourceId,
        foreign_id: &str,
    ) -> Result<Option<Identity>> {
        let key = (source.clone(), foreign_id.to_owned());
        if let Some(known) = self.identities.get(&key) {
            return Ok(known.clone());
        }
        let found = identities::get_many_by_foreign(tx, source, &[foreign_id]).await?.pop();
        self.identities.insert(key, found.clone());
        Ok(found)
    }

    pub(super) async fn thread(
        &mut self,
        tx: &mut Tx<'_>,
        source: &SourceId,
        foreign_id: &str,
    ) -> Result<Option<Thread>> {
        let key = (source.clone(), foreign_id.to_owned());
        if let Some(known) = self.threads.get(&key) {
            return Ok(known.clone());
        }
        let found = threads::get_many_by_foreign_with_activity(tx, source, &[foreign_id]).await?.pop();
        if let Some((t, true)) = &found {
            self.active.insert(t.id.clone());
        }
        let found = found.map(|(t, _)| t);
        self.threads.insert(key, found.clone());
        Ok(found)
    }

    /// The content with this foreign id, preferring the kinds in `preference` order
    /// (connectors' collections may reuse ids).
    pub(super) async fn content(
        &mut self,
        tx: &mut Tx<'_>,
        source: &SourceId,
        foreign_id: &str,
        preference: &[ContentKind],
    ) -> Result<Option<Content>> {
        let key = (source.clone(), foreign_id.to_owned());
        if !self.contents.contains_key(&key) {
            let found = contents::get_many_by_foreign(tx, source, &[foreign_id]).await?;
            self.contents.insert(key.clone(), found);
        }
        let mut found = self.contents.get(&key).cloned().unwrap_or_default();
        found.sort_by_key(|c| preference.iter().position(|k| *k == c.kind).unwrap_or(usize::MAX));
        Ok(found.into_iter().next())
    }

    pub(super) fn saw_identity(&mut self, i: &Identity) {
        self.identities.insert((i.source_id.clone(), i.foreign_id.clone()), Some(i.clone()));
    }

    pub(super) fn saw_thread(&mut self, t: &Thread) {
        if let Some(f) = &t.foreign_id {
            self.threads.insert((t.source_id.clone(), f.clone()), Some(t.clone()));
        }
    }

    pub(super) fn queue_insert(&mut self, c: Content) {
        self.saw_content(&c);
        self.pending.push(c);
    }

    /// Writes a changed content: in place if it is still waiting for the batch's insert.
    pub(super) async fn update_content(&mut self, tx: &mut Tx<'_>, c: &Content) -> Result<()> {
        match self.pending.iter_mut().find(|p| p.id == c.id) {
            Some(p) => *p = c.clone(),
            None => contents::update(tx, c).await?,
        }
        self.saw_content(c);
        Ok(())
    }

    fn saw_content(&mut self, c: &Content) {
        self.active.insert(c.thread_id.clone());
        if let Some(f) = &c.foreign_id {
            let same = self.contents.entry((c.source_id.clone(), f.clone())).or_default();
            same.retain(|x| x.kind != c.kind);
            same.push(c.clone());
        }
    }
}
