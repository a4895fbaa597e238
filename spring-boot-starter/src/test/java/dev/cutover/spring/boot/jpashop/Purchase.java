package dev.cutover.spring.boot.jpashop;

import jakarta.persistence.CascadeType;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.OneToMany;
import jakarta.persistence.OrderBy;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A purchase with its lines (cascade, orphan removal), a status, a total and an Instant. */
@Entity
@Table(name = "purchases")
public class Purchase {
    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "purchases_seq")
    @SequenceGenerator(name = "purchases_seq", sequenceName = "purchases_seq")
    private Long id;
    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "buyer_id")
    private Buyer buyer;
    @Enumerated(EnumType.STRING)
    private Status status;
    private BigDecimal total;
    private Instant placedAt;
    @Version
    private int version;
    @OneToMany(mappedBy = "purchase", cascade = CascadeType.ALL, orphanRemoval = true)
    @OrderBy("id")
    private List<PurchaseLine> lines = new ArrayList<>();

    protected Purchase() {
    }

    Purchase(Buyer buyer, Instant placedAt) {
        this.buyer = buyer;
        this.placedAt = placedAt;
        this.status = Status.OPEN;
        this.total = BigDecimal.ZERO.setScale(2);
    }

    Long id() {
        return id;
    }

    List<PurchaseLine> lines() {
        return lines;
    }

    BigDecimal total() {
        return total;
    }

    void status(Status newStatus) {
        status = newStatus;
    }

    PurchaseLine addLine(String sku, int quantity, BigDecimal price) {
        PurchaseLine line = new PurchaseLine(this, sku, quantity, price);
        lines.add(line);
        recompute();
        return line;
    }

    void recompute() {
        total = lines.stream().map(l -> l.price().multiply(BigDecimal.valueOf(l.quantity())))
                .reduce(BigDecimal.ZERO, BigDecimal::add).setScale(2);
    }
}
