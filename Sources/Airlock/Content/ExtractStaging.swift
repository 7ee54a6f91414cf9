import Bundle
import Foundation

/// The one hidden folder an extract stages into (`DIR/.airlock-extract-XXXXXX`, made by `mkdtemp`
/// beside the final names so every move is a rename on one file system), and the all-or-nothing
/// move of what it holds into place: a move that fails undoes every earlier one and puts back
/// what `force` had moved aside, so a failed extract leaves DIR as it found it.
package final class ExtractStaging {
    /// A staged path and the name it becomes.
    package struct Move {
        let from: String
        let to: String

        package init(from: String, to: String) {
            self.from = from
            self.to = to
        }
    }

    let path: String
    /// Set when an undo failed: what was moved aside is still in the folder, so it is kept.
    private var keep = false

    /// Makes the folder in `directory`; a name one of `names` would take is never used.
    package init(in directory: String, avoiding names: Set<String>) throws {
        for _ in 0..<8 {
            var template = Array((directory + "/.airlock-extract-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else { throw BundleError.system("create a staging folder in", directory) }
            let path = String(cString: made)
            if !names.contains((path as NSString).lastPathComponent) {
                self.path = path
                return
            }
            rmdir(path)
        }
        throw AirlockError.io("cannot find a staging name in \(directory) that no item uses")
    }

    /// Where item `index` is staged.
    package func slot(_ index: Int) -> String { path + "/\(index)" }

    /// Moves each staged path to its name. A name in the way is moved aside into the staging
    /// folder first when `force` (and refused otherwise, even if it appeared since the check);
    /// on any failure every earlier move is undone before the error is thrown.
    package func commit(_ moves: [Move], force: Bool) throws {
        var done: [(move: Move, aside: String?)] = []
        do {
            for (index, move) in moves.enumerated() {
                let aside = try moveAside(move.to, as: index, force: force)
                guard rename(move.from, move.to) == 0 else {
                    let failure = BundleError.system("move into place", move.to)
                    // What --force moved aside goes back; if it cannot, the folder keeps it.
                    if let aside, rename(aside, move.to) != 0 { keep = true }
                    throw failure
                }
                done.append((move, aside))
            }
        } catch {
            for (move, aside) in done.reversed() {
                guard rename(move.to, move.from) == 0, aside.map({ rename($0, move.to) == 0 }) ?? true else {
                    keep = true
                    throw AirlockError.io("\(error) and \(move.to) could not be put back as it was: what it held is kept in \(path)")
                }
            }
            throw error
        }
    }

    /// Moves what is at `final` into the staging folder (only with `force`); nil when nothing is there.
    private func moveAside(_ final: String, as index: Int, force: Bool) throws -> String? {
        var status = stat()
        guard lstat(final, &status) == 0 else { return nil }
        guard force else {
            throw AirlockError.io("\(final) appeared while extracting; extract replaces nothing without --force (nothing was written)")
        }
        let aside = path + "/replaced-\(index)"
        guard rename(final, aside) == 0 else { throw AirlockError.io("cannot replace \(final): check its permissions") }
        return aside
    }

    /// Removes the staging folder and all it holds (what was staged, what was moved aside).
    package func remove() {
        guard !keep else { return }
        // A staging folder that cannot be removed is only litter; the extract's result stands.
        try? FileManager.default.removeItem(atPath: path)
    }
}
