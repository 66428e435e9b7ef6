// Package lessons runs Shardlab's guided lessons on the real engine: a lesson is a YAML file of steps, each with
// what to do, what to notice, a check evaluated on live engine state, and a "Show me" list of actions that does
// the step for the presenter. The package is headless: the Lessons screen drives a Session, and
// `shardlab lessons verify` runs every lesson's Show-me path on an in-memory engine and waits for every check.
//
// Caveats:
//   - A lesson works on streams of its own, which it tags shardlab:lesson=<id>. Opening or resetting a lesson
//     deletes and recreates only streams carrying its tag; a stream of the same name without the tag (one of the
//     user's) makes Open fail rather than be touched.
//   - Producers, readers and batches are seeded, so the key shares and counts a lesson's text quotes come out the
//     same every run; per-second utilisation still depends on the machine's timing, so checks use thresholds
//     ("over 100 % for 5 s"), never exact rates.
//   - Counting checks count from the moment their step opened (metrics are kept an hour), so a step is met by what
//     was done in it, not by what an earlier step did.
//   - The file format is documented in docs/lessons.md; Parse reports every problem at its line and column.
package lessons
