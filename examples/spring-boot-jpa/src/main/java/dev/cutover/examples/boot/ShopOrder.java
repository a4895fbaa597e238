package dev.cutover.examples.boot;

import jakarta.persistence.CascadeType;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
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
import java.util.ArrayList;
import java.util.List;

/**
 * An order of a customer with its lines: the lines live and die with the order (cascade and orphan
 * removal), and the total kept on the order changes with them, so every change of the lines is a
 * versioned change of the order.
 */
@Entity
@Table(name = "orders")
public class ShopOrder {
    /** An open order can still change; closing and cancelling are final. */
    public static final String OPEN = "OPEN";

    // allocationSize 1: Hibernate's pooled optimizer keeps a block of ids in memory, and a block taken
    // from one side's sequence would outlive a move of the primary (README, "Spring Boot and JPA").
    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "orders_seq")
    @SequenceGenerator(name = "orders_seq", sequenceName = "orders_seq", allocationSize = 1)
    private Long id;

    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "customer_id")
    private Customer customer;

    @Column(nullable = false)
    private String status = OPEN;

    @Column(nullable = false, precision = 12, scale = 2)
    private BigDecimal total = BigDecimal.ZERO.setScale(2);

    @OneToMany(mappedBy = "order", cascade = CascadeType.ALL, orphanRemoval = true)
    @OrderBy("id")
    private List<OrderLine> lines = new ArrayList<>();

    @Version
    private long version;

    protected ShopOrder() {
    }

    ShopOrder(Customer customer) {
        this.customer = customer;
    }

    /** Replaces the lines: the old ones are deleted as orphans, the new ones inserted in one JDBC batch. */
    void replaceLines(List<OrderLine> newLines) {
        lines.clear();
        newLines.forEach(line -> {
            line.setOrder(this);
            lines.add(line);
        });
        total = lines.stream().map(OrderLine::amount).reduce(BigDecimal.ZERO, BigDecimal::add).setScale(2);
    }

    public Long getId() {
        return id;
    }

    public Customer getCustomer() {
        return customer;
    }

    public String getStatus() {
        return status;
    }

    public BigDecimal getTotal() {
        return total;
    }

    public List<OrderLine> getLines() {
        return lines;
    }

    public long getVersion() {
        return version;
    }
}
