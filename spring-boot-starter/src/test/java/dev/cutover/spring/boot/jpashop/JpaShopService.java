package dev.cutover.spring.boot.jpashop;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The shop's service: each public method is one Spring transaction. */
@Service
public class JpaShopService {
    private final BuyerRepository buyers;
    private final PurchaseRepository purchases;
    private final PurchaseLineRepository lines;
    private final AuditRepository audits;
    private final Auditor auditor;

    JpaShopService(BuyerRepository buyers, PurchaseRepository purchases, PurchaseLineRepository lines,
            AuditRepository audits, Auditor auditor) {
        this.buyers = buyers;
        this.purchases = purchases;
        this.lines = lines;
        this.audits = audits;
        this.auditor = auditor;
    }

    /** A buyer to register. */
    public record NewBuyer(String name, String email, String street, String city, Tier tier, LocalDateTime joinedAt,
            Set<String> tags) {
    }

    /** A line to add. */
    public record LineSpec(String sku, int quantity, BigDecimal price) {
    }

    /** What a placed purchase wrote. */
    public record Placed(long purchaseId, List<Long> lineIds, BigDecimal total) {
    }

    /** saveAll: one JDBC batch of inserts (with sequence ids), their tags in another. */
    @Transactional
    public List<Long> registerAll(List<NewBuyer> specs) {
        List<Buyer> made = new ArrayList<>();
        for (NewBuyer s : specs) {
            made.add(new Buyer(s.name(), s.email(), new Location(s.street(), s.city()), s.tier(), s.joinedAt(),
                    s.tags()));
        }
        return buyers.saveAll(made).stream().map(Buyer::id).toList();
    }

    /**
     * Dirty-checking update of a (possibly shared) buyer, then an audit entry in a transaction of its own,
     * whose id is added to {@code audited} once it committed.
     */
    @Transactional
    public BigDecimal touch(long buyerId, BigDecimal delta, Instant seen, LocalDateTime at, List<Long> audited) {
        Buyer buyer = buyers.findById(buyerId).orElseThrow();
        buyer.credit(buyer.credit().add(delta));
        buyer.seen(seen);
        buyers.flush();
        audited.add(auditor.write(buyerId, "touch", at));
        return buyer.credit();
    }

    /** Changes the credit, writes an audit entry of its own, then fails: the credit change rolls back. */
    @Transactional
    public void touchThenFail(long buyerId, LocalDateTime at, List<Long> audited) {
        Buyer buyer = buyers.findById(buyerId).orElseThrow();
        buyer.credit(buyer.credit().add(new BigDecimal("1000.00")));
        buyers.flush();
        audited.add(auditor.write(buyerId, "touchThenFail", at));
        throw new IllegalStateException("payment provider down");
    }

    /** A checked exception: Spring commits by default, so the change stays. */
    @Transactional
    public void declineCommitting(long buyerId, BigDecimal delta) throws Declined {
        Buyer buyer = buyers.findById(buyerId).orElseThrow();
        buyer.credit(buyer.credit().add(delta));
        buyers.flush();
        throw new Declined("declined, change kept");
    }

    /** A checked exception with rollbackFor: the change rolls back. */
    @Transactional(rollbackFor = Exception.class)
    public void declineRollingBack(long buyerId) throws Declined {
        Buyer buyer = buyers.findById(buyerId).orElseThrow();
        buyer.credit(buyer.credit().add(new BigDecimal("777.00")));
        buyer.tags().add("never");
        buyers.flush();
        throw new Declined("declined, rolled back");
    }

    /** Adds and removes tags through the entity: the element collection's inserts and deletes. */
    @Transactional
    public void retag(long buyerId, Set<String> add, Set<String> remove) {
        Buyer buyer = buyers.findById(buyerId).orElseThrow();
        buyer.tags().removeAll(remove);
        buyer.tags().addAll(add);
    }

    @Transactional
    public int untag(long buyerId, String tag) {
        return buyers.untag(buyerId, tag);
    }

    @Transactional
    public Placed place(long buyerId, List<LineSpec> specs, Instant at) {
        Buyer buyer = buyers.findById(buyerId).orElseThrow();
        Purchase purchase = new Purchase(buyer, at);
        List<PurchaseLine> added = new ArrayList<>();
        for (LineSpec spec : specs) {
            added.add(purchase.addLine(spec.sku(), spec.quantity(), spec.price()));
        }
        purchases.save(purchase);
        purchases.flush();
        return new Placed(purchase.id(), added.stream().map(PurchaseLine::id).toList(), purchase.total());
    }

    /** Orphan removal of the first line, a new line, a new status. Returns the new line's id. */
    @Transactional
    public long rework(long purchaseId, LineSpec add, Status status) {
        Purchase purchase = purchases.findById(purchaseId).orElseThrow();
        if (!purchase.lines().isEmpty()) {
            purchase.lines().remove(0);
        }
        PurchaseLine line = purchase.addLine(add.sku(), add.quantity(), add.price());
        purchase.status(status);
        purchases.flush();
        return line.id();
    }

    @Transactional
    public int retier(String city, Tier from, Tier to) {
        return buyers.retier(city, from, to);
    }

    @Transactional
    public int creditCity(String city, BigDecimal delta) {
        return buyers.creditCity(city, delta);
    }

    @Transactional
    public int markBig(long buyerId, BigDecimal min) {
        return purchases.markBig(buyerId, min, Status.PAID);
    }

    /** JPQL bulk deletes: the lines of the buyer's purchases of a status, then the purchases. */
    @Transactional
    public int purge(long buyerId, Status status) {
        List<Long> ids = purchases.ids(buyerId, status);
        if (ids.isEmpty()) {
            return 0;
        }
        lines.deleteOf(ids);
        return purchases.purge(buyerId, status);
    }

    /** deleteAllInBatch of given lines: one delete statement. */
    @Transactional
    public void dropLines(Collection<Long> lineIds) {
        lines.deleteAllInBatch(lines.findAllById(lineIds));
    }

    /** deleteAllByIdInBatch. */
    @Transactional
    public void dropLinesById(Collection<Long> lineIds) {
        lines.deleteAllByIdInBatch(lineIds);
    }

    /** deleteAll(entities): each purchase deleted with its lines (cascade). */
    @Transactional
    public void dropPurchases(Collection<Long> purchaseIds) {
        purchases.deleteAll(purchases.findAllById(purchaseIds));
    }

    /** Deletes the buyer (and its tags, the element collection). */
    @Transactional
    public void dropBuyer(long buyerId) {
        buyers.deleteById(buyerId);
    }

    /** A read-only transaction: reads go through the read router. */
    @Transactional(readOnly = true)
    public Set<String> describe(long buyerId) {
        return buyers.findById(buyerId).map(b -> new TreeSet<>(b.tags())).orElse(null);
    }

    /** A read-only transaction that changes an entity: Hibernate does not flush it. */
    @Transactional(readOnly = true)
    public void readOnlyDirty(long buyerId) {
        buyers.findById(buyerId).orElseThrow().credit(new BigDecimal("-1.00"));
    }

    /** A read-only transaction that runs a native write anyway. */
    @Transactional(readOnly = true)
    public int readOnlyNativeWrite(String city) {
        return buyers.creditCity(city, new BigDecimal("5000.00"));
    }

    /** Dirty checking of several versioned purchases: one JDBC batch of updates. */
    @Transactional
    public int payAll(long buyerId) {
        List<Purchase> open = purchases.findByBuyerIdAndStatus(buyerId, Status.OPEN);
        open.forEach(p -> p.status(Status.PAID));
        return open.size();
    }

    @Transactional
    public int restatusInCity(String city, Status from, Status to) {
        return purchases.restatusInCity(city, from, to);
    }

    @Transactional
    public int restatusInCitySubquery(String city, Status from, Status to) {
        return purchases.restatusInCitySubquery(city, from, to);
    }

    @Transactional
    public int purgeTier(String city, Tier tier) {
        return buyers.purgeTier(city, tier);
    }

    /** A pessimistic lock (SELECT ... FOR UPDATE), then a change. */
    @Transactional
    public void lockedCredit(long buyerId, BigDecimal delta) {
        Buyer buyer = buyers.lockById(buyerId).orElseThrow();
        buyer.credit(buyer.credit().add(delta));
    }

    /** Reads a buyer in one transaction... */
    @Transactional(readOnly = true)
    public Buyer load(long buyerId) {
        return buyers.findById(buyerId).orElseThrow();
    }

    /** ...and merges it, changed while detached, in another. */
    @Transactional
    public void mergeCredit(Buyer detached, BigDecimal delta) {
        detached.credit(detached.credit().add(delta));
        buyers.save(detached);
    }

    /** deleteAllInBatch(): one keyless delete of the whole table. */
    @Transactional
    public void clearAudit() {
        audits.deleteAllInBatch();
    }
}
