//! The open workshop: the session, the right to save it, and what is derived from it.

use std::path::Path;

use std::cell::{OnceCell, RefCell};
use std::sync::mpsc;

use crate::engine::{
    self, DecisionId, EntityRef, Evaluation, Panel, PanelState, Progress, Recommendation,
    Sensitivity, Visibility, slot_of,
};
use crate::questionnaire::Questionnaire;
use crate::questionnaire::condition::EntityKey;
use crate::session::{Answer, EntityId, Session};
use crate::workshop::Lease;

/// The open workshop: the session, where it is saved, and what is derived from it.
pub struct Workshop {
    pub session: Session,
    /// The right to write the session file: its lock, where it is saved, what was saved last.
    pub lease: Lease,
    /// The full recommendation, built from `eval` when a screen first asks for it after a
    /// change (`rec`): an answer on the questions screen updates only `eval` and `panel`,
    /// which at 10,000 identities is the difference between a frame and half a second.
    rec: OnceCell<Recommendation>,
    /// What the next `rec` is patched from: the recommendation an answer made out of date (not
    /// freed in the answer: at 10,000 identities that is millions of small frees) and what
    /// was kept beside it, told which entities the answers since re-ran.
    made: RefCell<Made>,
    /// The analysis (evaluation, panel, sequence, progress). Set at once by `new`; after a
    /// resume (`pending`) it is worked out on another thread while the first frames are drawn,
    /// and set when it arrives (`ready`) or when something needs it (`d`, which waits).
    derived: OnceCell<Derived>,
    /// The analysis being worked out, and the changes made to the session meanwhile.
    pending: RefCell<Option<Pending>>,
    /// Until the analysis arrives: which questions are asked and the progress, worked out on
    /// this thread before the first frame (one pass, no rules), patched for answers given
    /// meanwhile.
    early: Option<Early>,
    /// The last save failed: said on screen until a save succeeds.
    pub save_error: Option<String>,
    /// "What would change this?" for the decision last opened, by decision id. Computed when a
    /// drill-down opens, dropped on any change to the session.
    pub sensitivity: Option<(String, Option<Sensitivity>)>,
    /// Changes whenever `rec` and `eval` are replaced: screens cache what they derive from them
    /// (the filtered lists) under it. Unique across workshops, so a cache never outlives one.
    pub(crate) revision: u64,
}

/// Everything the app derives from the session's evaluation, patched per answer.
struct Derived {
    /// What the questions screen shows of the recommendation, always up to date.
    panel: Panel,
    /// What the panel is made from, per entity, patched for the entities an answer re-ran.
    kept: PanelState,
    /// Every visible question in asking order (`sequence`), patched for the entities an answer
    /// re-ran: navigation and answers cost no pass over the inventory.
    seq: Sequence,
    /// Each entity's part of the progress (the engagement, each system, each identity), so
    /// that an answer recounts only the entities it re-ran; and their sum.
    parts: Vec<Progress>,
    progress: Progress,
    /// What the recommendation is computed from: visibility, and the rule results that
    /// "what would change this?" tries changes against.
    eval: Evaluation,
}

impl Derived {
    fn new(q: &Questionnaire, s: &Session) -> Derived {
        let eval = Evaluation::new(q, s);
        let parts = progress_parts(q, s, &eval);
        let progress = total(&parts);
        let kept = PanelState::new(q, s, &eval);
        let panel = engine::panel_counted(q, s, &eval, &kept, progress);
        Derived {
            seq: Sequence::new(s, eval.visibility()),
            panel,
            kept,
            parts,
            progress,
            eval,
        }
    }

    /// After a change to the answers of one entity: what they reach is evaluated again, from
    /// this evaluation, and only those entities' parts of the progress (with what may follow),
    /// the panel and the question sequence are made again. Returns the entities re-run, or
    /// `None` when everything was made again.
    fn apply(
        &mut self,
        q: &Questionnaire,
        s: &Session,
        changed: &EntityId,
    ) -> Option<Vec<EntityKey>> {
        let (asked, rerun) = engine::apply_answer_keys(q, s, &mut self.eval, changed);
        let Some(keys) = rerun else {
            self.rebuild(q, s);
            return None;
        };
        for &key in &keys {
            let n = slot_of(s, key);
            if let Some(part) = self.parts.get_mut(n) {
                self.progress.add(*part, false);
                *part = engine::progress_of(q, s, &self.eval, key);
                self.progress.add(*part, true);
            }
        }
        self.kept.patch(q, s, &self.eval, &keys);
        if asked {
            self.seq.patch(s, self.eval.visibility(), &keys);
        }
        self.panel = engine::panel_counted(q, s, &self.eval, &self.kept, self.progress);
        Some(keys)
    }

    /// Everything derived from `eval`, made again for every entity.
    fn rebuild(&mut self, q: &Questionnaire, s: &Session) {
        let vis = self.eval.visibility();
        self.parts = progress_parts(q, s, &self.eval);
        self.progress = total(&self.parts);
        self.kept = PanelState::new(q, s, &self.eval);
        self.seq = Sequence::new(s, vis);
        self.panel = engine::panel_counted(q, s, &self.eval, &self.kept, self.progress);
    }
}

/// The analysis of a resumed workshop while it is worked out (`Workshop::pending`).
struct Pending {
    /// The questionnaire, for the analysis and for applying the changes made meanwhile.
    q: Questionnaire,
    run: Run,
    /// Entities whose answers changed since the session was handed over, in order.
    changed: Vec<EntityId>,
    /// The inventory (or everything) changed meanwhile: the analysis is made again.
    redo: bool,
}

enum Run {
    /// Not started: the first frame is drawn first (`Workshop::start`). A test may hold the
    /// worker at `gate` until it lets it go.
    Waiting {
        gate: Option<mpsc::Receiver<()>>,
    },
    Started(mpsc::Receiver<Derived>),
}

/// What the first frames of a resumed workshop need before the analysis arrives: which
/// questions are asked (the `show_if`s, no rules) and the progress.
struct Early {
    vis: Visibility,
    seq: Sequence,
    progress: Progress,
}

impl Early {
    fn new(q: &Questionnaire, s: &Session) -> Early {
        let vis = engine::visibility(q, s);
        Early {
            seq: Sequence::new(s, &vis),
            progress: vis.progress(q, s),
            vis,
        }
    }
}

/// The out-of-date recommendation and what the next one is patched with (`Workshop::made`).
#[derive(Default)]
struct Made {
    old: Option<Recommendation>,
    kept: Option<engine::Kept>,
}

/// The next workshop revision (see `Workshop::revision`).
fn next_revision() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Workshop {
    pub fn new(q: &Questionnaire, session: Session, lease: Lease) -> Workshop {
        let derived = OnceCell::from(Derived::new(q, &session));
        Workshop::with(session, lease, derived, None, None)
    }

    fn with(
        session: Session,
        lease: Lease,
        derived: OnceCell<Derived>,
        pending: Option<Pending>,
        early: Option<Early>,
    ) -> Workshop {
        Workshop {
            session,
            lease,
            rec: OnceCell::new(),
            made: RefCell::new(Made::default()),
            derived,
            pending: RefCell::new(pending),
            early,
            save_error: None,
            sensitivity: None,
            revision: next_revision(),
        }
    }

    /// A resumed workshop that draws before its analysis is done: which questions are asked
    /// and the progress are worked out now (no rules: a fraction of the analysis); the rest
    /// on another thread once `start` is called after the first frame, or here when something
    /// needs it first. `gate` (tests) holds that thread until a message or a hang-up.
    pub(crate) fn pending(
        q: &Questionnaire,
        session: Session,
        lease: Lease,
        gate: Option<mpsc::Receiver<()>>,
    ) -> Workshop {
        let early = Early::new(q, &session);
        let pending = Pending {
            q: q.clone(),
            run: Run::Waiting { gate },
            changed: Vec::new(),
            redo: false,
        };
        Workshop::with(session, lease, OnceCell::new(), Some(pending), Some(early))
    }

    /// Starts the analysis of a `pending` workshop on another thread, if not started yet. The
    /// worker gets a copy of the session (the file is parsed once); answers given meanwhile
    /// are applied to what it returns (`settle`). Without a thread it is done when needed.
    pub(crate) fn start(&mut self) {
        let Some(p) = self.pending.get_mut() else {
            return;
        };
        let Run::Waiting { gate } = &mut p.run else {
            return;
        };
        let gate = gate.take();
        let (tx, rx) = mpsc::channel();
        let (q, s) = (p.q.clone(), self.session.clone());
        let spawned = std::thread::Builder::new()
            .name("analysis".into())
            .spawn(move || {
                if let Some(g) = gate {
                    let _ = g.recv();
                }
                let _ = tx.send(Derived::new(&q, &s));
            });
        if spawned.is_ok() {
            p.run = Run::Started(rx);
        }
    }

    /// Whether the analysis is ready: takes it if it has arrived, without waiting.
    pub(crate) fn ready(&self) -> bool {
        if self.derived.get().is_some() {
            return true;
        }
        match self.arrived(false) {
            Some(d) => {
                let _ = self.derived.set(d);
                true
            }
            None => false,
        }
    }

    /// The analysis, waited for (or worked out here) if it has not arrived yet.
    fn d(&self) -> &Derived {
        self.derived.get_or_init(|| match self.arrived(true) {
            Some(d) => d,
            // `derived` is unset only while `pending` holds what makes it.
            None => unreachable!("a workshop without its analysis keeps what makes it"),
        })
    }

    /// The analysis with the changes made since it started applied, once it is there (or at
    /// once if `wait`: the worker's result, or made here when no worker runs).
    fn arrived(&self, wait: bool) -> Option<Derived> {
        let mut slot = self.pending.borrow_mut();
        let p = slot.as_mut()?;
        let made = match &p.run {
            Run::Started(rx) if !wait => match rx.try_recv() {
                Ok(d) => Some(d),
                Err(mpsc::TryRecvError::Empty) => return None,
                // The worker is gone without a result: made here.
                Err(mpsc::TryRecvError::Disconnected) => None,
            },
            Run::Started(rx) => rx.recv().ok(),
            Run::Waiting { .. } if !wait => return None,
            Run::Waiting { .. } => None,
        };
        let p = slot.take()?;
        let s = &self.session;
        let d = match made {
            Some(mut d) if !p.redo && d.eval.fits(s) => {
                for e in &p.changed {
                    if d.apply(&p.q, s, e).is_none() {
                        break;
                    }
                }
                d
            }
            _ => Derived::new(&p.q, s),
        };
        Some(d)
    }

    /// After the analysis arrived: the early state is dropped. True once, when it has just
    /// arrived (the app then checks the focused question and says what it found).
    pub(crate) fn poll(&mut self) -> bool {
        if self.early.is_some() && self.ready() {
            self.early = None;
            self.revision = next_revision();
            return true;
        }
        false
    }

    /// Whether a resumed workshop's analysis is still being worked out (screens say
    /// "computing…" where they would show it).
    pub(crate) fn analysing(&self) -> bool {
        self.early.is_some()
    }

    /// What the recommendation is computed from (waits for the analysis after a resume).
    pub fn eval(&self) -> &Evaluation {
        &self.d().eval
    }

    /// Where the session is saved (as the user named it).
    pub(crate) fn path(&self) -> &Path {
        self.lease.path()
    }

    /// Opened read-only (`resume --read-only`, or "open read-only" when another socscope has
    /// it): viewing, the recommendation and exports work; every edit is refused.
    pub(crate) fn read_only(&self) -> bool {
        self.lease.read_only()
    }

    /// Recomputes the recommendation and visibility after any change to the session: the one
    /// place the app recomputes.
    pub(crate) fn refresh(&mut self, q: &Questionnaire) {
        if let Some(p) = self.pending.get_mut() {
            // Made again once the analysis is there: the inventory may have changed.
            p.redo = true;
            if let Some(early) = &mut self.early {
                *early = Early::new(q, &self.session);
            }
            self.changed();
            return;
        }
        let s = &self.session;
        if let Some(d) = self.derived.get_mut() {
            d.eval = Evaluation::new(q, s);
            d.rebuild(q, s);
        }
        // Everything may have changed: the next recommendation is made in full.
        self.made.get_mut().kept = None;
        self.changed();
    }

    /// `refresh` after a change to the answers of one entity only: what they reach is
    /// evaluated again, from the kept evaluation (`Derived::apply`). Before the analysis of a
    /// resume arrives the answer is recorded at once and applied when it arrives.
    pub fn refresh_answer(&mut self, q: &Questionnaire, changed: &EntityId) {
        // The answer goes to the journal first and is flushed while the recompute runs; the
        // save before the next frame waits for the flush (`Lease::record`).
        self.lease.record_ahead(&self.session);
        if let Some(p) = self.pending.get_mut() {
            p.changed.push(changed.clone());
            // What is asked follows at once (a fraction of the analysis, and only until it
            // arrives); the rules wait for it.
            if let Some(early) = &mut self.early {
                *early = Early::new(q, &self.session);
            }
            self.changed();
            return;
        }
        let s = &self.session;
        let Some(d) = self.derived.get_mut() else {
            return;
        };
        match d.apply(q, s, changed) {
            Some(keys) => {
                if let Some(k) = self.made.get_mut().kept.as_mut() {
                    k.touch(&keys);
                }
            }
            None => self.made.get_mut().kept = None,
        }
        self.changed();
    }

    /// After the analysis changed: the full recommendation is built again when asked for.
    fn changed(&mut self) {
        if let Some(old) = self.rec.take() {
            self.made.get_mut().old = Some(old);
        }
        self.sensitivity = None;
        self.revision = next_revision();
    }

    /// The full recommendation, built from the kept evaluation if the session changed since
    /// it was last asked for.
    pub fn rec(&self, q: &Questionnaire) -> &Recommendation {
        self.rec.get_or_init(|| self.build_rec(q))
    }

    /// Writes the whole session file, with the summary of its recommendation (built now if it
    /// is not up to date), unless nothing changed since the last write.
    pub(crate) fn save_whole(
        &mut self,
        q: &Questionnaire,
    ) -> Result<Option<crate::session::store::Saved>, crate::workshop::Error> {
        if !self.lease.would_save(&self.session) {
            return Ok(None);
        }
        let rec = self.rec.get_or_init(|| self.build_rec(q));
        self.lease.save_if_changed(&self.session, rec)
    }

    /// The recommendation from the kept evaluation: the out-of-date one patched for the
    /// entities the answers since re-ran, or made in full.
    fn build_rec(&self, q: &Questionnaire) -> Recommendation {
        let d = self.d();
        let mut made = self.made.borrow_mut();
        let old = made.old.take();
        let s = &self.session;
        engine::recommend_kept(q, s, &d.eval, &mut made.kept, old, &d.kept, d.progress)
    }

    /// The full recommendation if it is up to date, without building it.
    pub(crate) fn rec_if_built(&self) -> Option<&Recommendation> {
        self.rec.get()
    }

    /// The verdict, categories, plans, conflicts and progress, always up to date (waits for
    /// the analysis after a resume: screens drawn before it use `panel_if_ready`).
    pub fn panel(&self) -> &Panel {
        &self.d().panel
    }

    /// The panel, or `None` while the analysis of a resume is still being worked out.
    pub(crate) fn panel_if_ready(&self) -> Option<&Panel> {
        match self.early {
            Some(_) => None,
            None => Some(self.panel()),
        }
    }

    /// Questions answered, open and unknown, and what may follow: known before the analysis.
    pub(crate) fn progress(&self) -> Progress {
        match &self.early {
            Some(e) => e.progress,
            None => self.d().progress,
        }
    }

    /// Which questions are asked, in order. Before the analysis of a resume arrives, the
    /// early one; it is swapped only by `poll` (`&mut`), so positions read in one key stay
    /// positions in the same sequence.
    fn seq(&self) -> &Sequence {
        match &self.early {
            Some(e) => &e.seq,
            None => &self.d().seq,
        }
    }

    fn vis(&self) -> &Visibility {
        match &self.early {
            Some(e) => &e.vis,
            None => self.d().eval.visibility(),
        }
    }

    /// Computes the sensitivity of one decision unless it is already cached.
    pub fn ensure_sensitivity(&mut self, q: &Questionnaire, decision_id: &str) {
        if self
            .sensitivity
            .as_ref()
            .is_some_and(|(id, _)| id == decision_id)
        {
            return;
        }
        // The decision comes from the recommendation already on screen: no second build.
        let s = DecisionId::parse(decision_id)
            .and_then(|id| self.rec(q).decision(&id))
            .map(|d| engine::sensitivity_in(q, &self.session, self.eval(), d));
        self.sensitivity = Some((decision_id.to_string(), s));
    }

    /// The cached sensitivity of a decision, if computed.
    pub fn cached_sensitivity(&self, decision_id: &str) -> Option<&Sensitivity> {
        match &self.sensitivity {
            Some((id, s)) if id == decision_id => s.as_ref(),
            _ => None,
        }
    }

    pub(crate) fn answer(&self, e: &EntityId, qid: &str) -> Option<&Answer> {
        self.session.answers(e).and_then(|a| a.get(qid))
    }

    /// The visible question indexes of one entity.
    pub(crate) fn shown(&self, e: &EntityId) -> Vec<usize> {
        match engine::entity_key(&self.session, e) {
            Some(key) => self.vis().shown(key),
            None => Vec::new(),
        }
    }

    /// Every visible question of every entity, in asking order (the order plain mode asks in).
    pub fn sequence(&self) -> &[(EntityId, usize)] {
        &self.seq().items
    }

    /// Where an entity's questions are in `sequence` (empty when it has none shown, or is
    /// not in the session): found by index, not by a search of the sequence.
    pub(crate) fn section(&self, e: &EntityId) -> std::ops::Range<usize> {
        match engine::entity_key(&self.session, e) {
            Some(key) => self.seq().range(slot_of(&self.session, key)),
            None => 0..0,
        }
    }

    /// The position in `sequence` of one entity's question, if it is shown.
    pub(crate) fn position(&self, e: &EntityId, qi: usize) -> Option<usize> {
        let r = self.section(e);
        let k = self.seq().items[r.clone()]
            .binary_search_by_key(&qi, |(_, x)| *x)
            .ok()?;
        Some(r.start + k)
    }

    /// The next (`dir` > 0) or previous section with a question shown, from `e`'s.
    pub(crate) fn next_section(&self, e: &EntityId, dir: i64) -> Option<EntityId> {
        let here = engine::entity_key(&self.session, e).map_or(0, |k| slot_of(&self.session, k));
        let seq = self.seq();
        let slots = seq.starts.len().saturating_sub(1);
        let mut n = here;
        loop {
            n = if dir < 0 {
                n.checked_sub(1)?
            } else {
                Some(n + 1).filter(|&m| m < slots)?
            };
            let r = seq.range(n);
            if !r.is_empty() {
                return Some(seq.items[r.start].0.clone());
            }
        }
    }

    /// Questions that may still be asked once unknown or open answers are settled.
    pub fn could_follow(&self) -> usize {
        self.progress().may_follow
    }

    /// Progress counting what could still be asked (`wording::progress`).
    pub(crate) fn progress_text(&self) -> String {
        crate::report::wording::progress(self.progress())
    }

    /// "System 2/5" for a section heading.
    pub(crate) fn section_label(&self, e: &EntityId) -> String {
        match e {
            EntityId::Engagement => "Engagement".to_string(),
            EntityId::System(id) => {
                let n = self.session.system_index(id).map_or(0, |i| i + 1);
                format!("System {n}/{}", self.session.systems.len())
            }
            EntityId::Identity(id) => {
                let n = self.session.identity_index(id).map_or(0, |i| i + 1);
                format!("Identity {n}/{}", self.session.identities.len())
            }
        }
    }

    /// The identity's kind as people read it, if answered.
    pub(crate) fn identity_kind(&self, q: &Questionnaire, id: &str) -> Option<String> {
        let kq = q.identity_kind_question()?;
        let a = self.answer(&EntityId::Identity(id.to_string()), &kq.id)?;
        Some(a.value.display(kq))
    }
}

/// Every visible question in asking order, with where each entity's questions start, so that
/// an answer replaces only the entities it re-ran and a question is found by index. Entities
/// are numbered as `engine::slot_of` numbers them.
struct Sequence {
    items: Vec<(EntityId, usize)>,
    /// Per entity, where its questions start in `items`; then `items.len()`.
    starts: Vec<usize>,
}

impl Sequence {
    fn new(s: &Session, vis: &Visibility) -> Sequence {
        let mut items = Vec::new();
        let mut starts = Vec::with_capacity(2 + s.systems.len() + s.identities.len());
        for key in keys(s) {
            starts.push(items.len());
            let e = entity_id(s, key);
            items.extend(vis.shown(key).into_iter().map(|qi| (e.clone(), qi)));
        }
        starts.push(items.len());
        engine::steps::add(items.len());
        Sequence { items, starts }
    }

    fn range(&self, slot: usize) -> std::ops::Range<usize> {
        match (self.starts.get(slot), self.starts.get(slot + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        }
    }

    /// Replaces the questions of the entities `keys` with what `vis` shows now. Moving the
    /// entries after a section that grew or shrank is one `memmove`, and the later sections'
    /// starts are shifted (integers, microseconds at 10,000 identities).
    fn patch(&mut self, s: &Session, vis: &Visibility, keys: &[EntityKey]) {
        let mut slots: Vec<(usize, EntityKey)> = keys.iter().map(|&k| (slot_of(s, k), k)).collect();
        slots.sort_unstable_by_key(|(n, _)| std::cmp::Reverse(*n));
        slots.dedup_by_key(|(n, _)| *n);
        for (n, key) in slots {
            let r = self.range(n);
            let shown = vis.shown(key);
            engine::steps::add(shown.len());
            if self.items[r.clone()]
                .iter()
                .map(|(_, qi)| *qi)
                .eq(shown.iter().copied())
            {
                continue;
            }
            let e = entity_id(s, key);
            let (old, new) = (r.len(), shown.len());
            self.items
                .splice(r, shown.into_iter().map(|qi| (e.clone(), qi)));
            for start in &mut self.starts[n + 1..] {
                *start = *start + new - old;
            }
        }
    }
}

/// Every entity in asking order: the engagement, each system, each identity.
fn keys(s: &Session) -> impl Iterator<Item = EntityKey> + use<> {
    std::iter::once(EntityKey::Engagement)
        .chain((0..s.systems.len()).map(EntityKey::System))
        .chain((0..s.identities.len()).map(EntityKey::Identity))
}

fn entity_id(s: &Session, key: EntityKey) -> EntityId {
    match key {
        EntityKey::Engagement => EntityId::Engagement,
        EntityKey::System(j) => EntityId::System(s.systems[j].id.clone()),
        EntityKey::Identity(i) => EntityId::Identity(s.identities[i].id.clone()),
    }
}

/// Each entity's part of the progress, in `Workshop::parts` order.
fn progress_parts(q: &Questionnaire, s: &Session, ev: &Evaluation) -> Vec<Progress> {
    keys(s).map(|k| engine::progress_of(q, s, ev, k)).collect()
}

fn total(parts: &[Progress]) -> Progress {
    let mut p = Progress::default();
    for x in parts {
        p.add(*x, true);
    }
    p
}

/// The session's entity a reference from the engine points at.
pub(crate) fn entity_of(r: &EntityRef) -> EntityId {
    r.entity_id()
}

#[cfg(test)]
mod tests {
    //! The open workshop as the questions screen uses it: after each answer its panel (with
    //! the progress recounted only for the entities re-run), its kept question sequence and
    //! its full recommendation are what the session gives from scratch.

    use super::*;
    use crate::questionnaire::Scope;
    use crate::session::{Value, store};
    use crate::vocab::Kind;
    use crate::workshop::answer;

    #[test]
    fn the_workshop_after_answers_is_a_full_recompute() {
        let q = crate::questionnaire::builtin().expect("built-in questionnaire");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .expect("assets/examples")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        names.sort();
        let tmp = tempfile::tempdir().expect("temp dir");
        let now = chrono::Utc::now();
        let mut checked = 0;
        for path in &names {
            let s = store::open(path, &q).expect("example").0;
            let mut w = Workshop::new(&q, s, Lease::per_write(&tmp.path().join("w.toml")));
            let entities: Vec<EntityId> = std::iter::once(EntityId::Engagement)
                .chain(
                    w.session
                        .systems
                        .iter()
                        .map(|x| EntityId::System(x.id.clone())),
                )
                .chain(
                    w.session
                        .identities
                        .iter()
                        .map(|x| EntityId::Identity(x.id.clone())),
                )
                .collect();
            for (n, e) in entities.iter().enumerate() {
                let scope = match e {
                    EntityId::Engagement => Scope::Engagement,
                    EntityId::System(_) => Scope::System,
                    EntityId::Identity(_) => Scope::Identity,
                };
                // A few questions per entity, each answered with another choice, unknown or
                // cleared in turn: answers that change what is asked, and ones that do not.
                let questions = q
                    .questions
                    .iter()
                    .filter(|x| x.scope == scope && x.creates.is_none() && x.kind.is_choice());
                for (k, question) in questions.enumerate().filter(|(k, _)| (k + n) % 3 == 0) {
                    match (k + n) % 4 {
                        0 => w.session.clear_answer(&question.id, e, now),
                        1 => {
                            let _ = w.session.set_answer(question, e, Value::Unknown, now);
                        }
                        m => {
                            let c = &question.choices[m % question.choices.len()];
                            let v = match question.kind {
                                Kind::Multi => Value::List(vec![c.id.clone()]),
                                _ => Value::Text(c.id.clone()),
                            };
                            let _ = w.session.set_answer(question, e, v, now);
                        }
                    }
                    w.refresh_answer(&q, e);
                    let full = engine::recommend(&q, &w.session);
                    let what = format!("{} {e:?} {}", path.display(), question.id);
                    assert_eq!(w.panel(), &Panel::of(&full), "{what}: panel");
                    let vis = engine::visibility(&q, &w.session);
                    assert_eq!(
                        w.sequence(),
                        &answer::sequence(&w.session, &vis)[..],
                        "{what}: sequence"
                    );
                    assert_eq!(w.could_follow(), answer::could_follow(&vis), "{what}");
                    assert!(w.rec(&q) == &full, "{what}: recommendation");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "checked {checked}");
    }
}

#[cfg(test)]
mod journal_tests {
    //! The save of an answer overlaps its recompute: the record is in the journal before the
    //! recompute runs, and the save before the next frame reports it without a second record.

    use super::*;
    use crate::session::{Value, journal};
    use crate::workshop::{self, Access};

    #[test]
    fn an_answer_is_in_the_journal_before_it_is_recomputed_and_saved_once() {
        let q = crate::questionnaire::builtin().expect("built-in questionnaire");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("w.toml");
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/examples/s1-payroll-provider.toml");
        std::fs::copy(&example, &path).expect("copy the example");
        let opened = workshop::open(&path, &q, Access::Write).expect("open with the lock");
        let mut w = Workshop::new(&q, opened.session, opened.lease);
        let e = EntityId::Identity(w.session.identities[0].id.clone());
        let key = engine::entity_key(&w.session, &e).expect("the identity");
        let question = w
            .eval()
            .visibility()
            .shown(key)
            .into_iter()
            .map(|qi| q.questions[qi].clone())
            .find(|x| x.kind.is_choice() && x.creates.is_none() && x.choices.len() > 1)
            .expect("a choice question");
        let value = match w.answer(&e, &question.id).map(|a| &a.value) {
            Some(Value::Text(t)) if *t == question.choices[0].id => question.choices[1].id.clone(),
            _ => question.choices[0].id.clone(),
        };
        let value = match question.kind {
            crate::vocab::Kind::Multi => Value::List(vec![value]),
            _ => Value::Text(value),
        };
        w.session
            .set_answer(&question, &e, value, chrono::Utc::now())
            .expect("a valid answer");
        w.refresh_answer(&q, &e);
        let records = |p: &std::path::Path| {
            journal::read(p)
                .expect("readable journal")
                .map_or(0, |c| c.records.len())
        };
        assert_eq!(records(&path), 1, "written while the answer was recomputed");
        assert!(w.lease.unsettled(), "not yet acknowledged");
        let r = w.lease.record(&w.session).expect("saved");
        assert!(r.appended, "the save reports the record written ahead");
        assert!(!w.lease.unsettled());
        assert_eq!(records(&path), 1, "and writes no second one");
    }
}
