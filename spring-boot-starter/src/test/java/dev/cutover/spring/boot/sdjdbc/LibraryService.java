package dev.cutover.spring.boot.sdjdbc;

import java.util.List;
import org.springframework.data.jdbc.core.JdbcAggregateTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The library's transactional services, as its team writes them. */
@Service
public class LibraryService {
    private final MemberRepository members;
    private final ShelfRepository shelves;
    private final JdbcAggregateTemplate template;

    LibraryService(MemberRepository members, ShelfRepository shelves, JdbcAggregateTemplate template) {
        this.members = members;
        this.shelves = shelves;
        this.template = template;
    }

    @Transactional
    public Member save(Member member) {
        return members.save(member);
    }

    @Transactional
    public List<Member> saveAll(List<Member> batch) {
        return members.saveAll(batch);
    }

    /** An explicit update through the aggregate template (version checked and bumped). */
    @Transactional
    public Member update(Member member) {
        return template.update(member);
    }

    /** An explicit insert through the aggregate template: the id is assigned by the callback. */
    @Transactional
    public Shelf insert(Shelf shelf) {
        return template.insert(shelf);
    }

    @Transactional
    public Shelf save(Shelf shelf) {
        return shelves.save(shelf);
    }

    @Transactional
    public void deleteAll(List<Member> gone) {
        members.deleteAll(gone);
    }

    @Transactional
    public void deleteAllShelves() {
        shelves.deleteAll();
    }

    @Transactional
    public void transfer(long from, long to, int points) {
        members.addPoints(from, -points);
        members.addPoints(to, points);
    }

    /**
     * Locks the member's row, reads the aggregate, adds a point and saves the whole aggregate. It reads
     * again after the lock: on PostgreSQL a {@code FOR UPDATE OF members} that waited for another
     * transaction returns the joined one-to-one row as it was before that transaction, and saving that
     * would undo the other transaction's card.
     */
    @Transactional
    public Member bumpLocked(long id) {
        members.findLockedById(id).orElseThrow();
        Member member = members.findById(id).orElseThrow();
        member.points++;
        return members.save(member);
    }

    /** Writes the member and a shelf, then fails: Spring rolls everything back. */
    @Transactional
    public void failAfterWrites(Member member, long id, Shelf shelf) {
        members.addPoints(id, 1000);
        members.save(member);
        shelves.save(shelf);
        throw new Declined("declined after writing");
    }

    @Transactional(readOnly = true)
    public Member load(long id) {
        return members.findById(id).orElse(null);
    }

    /** A thrown business refusal: Spring rolls back on unchecked exceptions. */
    public static final class Declined extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Declined(String message) {
            super(message);
        }
    }
}
