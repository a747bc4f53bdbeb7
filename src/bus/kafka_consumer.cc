#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/metrics.h"
#include "base/time.h"
#include "bus/internal/rdkafka.h"
#include "bus/kafka.h"

namespace mdsp::bus {

using internal::kafka_error;
using internal::tpl_ptr;

struct kafka_consumer::impl {
    kafka_consumer_config cfg;
    // The first commit_async() that failed, until a commit call returns it.
    // Its answers are served by poll() and close(), on the owner's thread.
    std::optional<mdsp::error> async_failure;
    internal::rk_ptr rk;
    internal::queue_ptr queue; // the consumer queue (records and group events); released before rk
    std::string topic;
    std::optional<rebalance_listener> listener;
    bool in_assign = false; // inside on_assigned: seek() records here
    std::map<int32_t, int64_t> pending_seeks;
    std::map<int32_t, metrics::gauge*> lag; // assigned partitions
    // The next offset this consumer reads, per assigned partition: where it
    // was sought, then after each record polled. librdkafka's own position
    // is unknown until a record arrives, and its cached end offset until a
    // fetch answers (or stale from an earlier assignment): a lag taken from
    // them alone reads 0 for a partition just assigned with a backlog, which
    // is how a "caught up" check passed before the replica had read anything.
    std::map<int32_t, int64_t> next;
    std::set<int32_t> unmeasured; // assigned, end offset not yet asked of the broker
    uint64_t rebalances = 0;      // assignments and revocations so far
    // The group's committed offset per assigned partition, as last read or
    // committed here: its lag is the one kafka-consumer-groups shows.
    std::map<int32_t, int64_t> committed;
    int64_t last_lag_ns = 0;
    std::string commit_metadata;
    bool closed = false;
    metrics::counter* polled = nullptr;
    metrics::counter* commits = nullptr;

    // "0,3,5" for a log line. (Not std::views::transform: clang 14, which
    // scripts/fuzz builds with, cannot compile libstdc++ 12's views over it.)
    static std::string joined(const std::vector<partition_id>& ps) {
        std::string out;
        for (auto p : ps) {
            out += out.empty() ? "" : ",";
            out += std::to_string(p());
        }
        return out;
    }
    std::vector<partition_id> ids(const rd_kafka_topic_partition_list_t* l) const {
        std::vector<partition_id> out;
        for (int i = 0; i < l->cnt; ++i) {
            out.emplace_back(l->elems[i].partition);
        }
        return out;
    }

    metrics::gauge* lag_gauge(int32_t p) {
        return &metrics::global().get_gauge("mdsp_consumer_lag",
                                            "Records in a partition not yet read by this consumer",
                                            {{"topic", topic}, {"partition", std::to_string(p)}});
    }

    metrics::gauge& committed_lag_gauge(int32_t p) {
        return metrics::global().get_gauge(
            "mdsp_consumer_committed_lag",
            "Records in a partition past the group's committed offset (kafka-consumer-groups' LAG)",
            {{"topic", topic}, {"partition", std::to_string(p)}});
    }

    bool cooperative = false; // the group's rebalance protocol, as of the last rebalance

    metrics::gauge& owned_gauge(int32_t p) {
        return metrics::global().get_gauge("mdsp_kafka_assigned",
                                           "1 while this consumer owns the partition in its group",
                                           {{"topic", topic}, {"partition", std::to_string(p)}});
    }

    void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
        ++rebalances;
        // NULL once the consumer is closing (the revocation close() makes):
        // the protocol of the last rebalance holds.
        if (const char* protocol = rd_kafka_rebalance_protocol(rk.get()); protocol != nullptr) {
            cooperative = std::string_view(protocol) == "COOPERATIVE";
        }
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
            pending_seeks.clear();
            in_assign = true;
            auto got = ids(parts);
            spdlog::info("kafka: group {} assigned {} [{}]", cfg.group, topic, joined(got));
            if (listener && listener->on_assigned) {
                listener->on_assigned(got);
            }
            in_assign = false;
            for (int i = 0; i < parts->cnt; ++i) {
                auto& e = parts->elems[i];
                auto it = pending_seeks.find(e.partition);
                e.offset = it != pending_seeks.end() ? it->second : RD_KAFKA_OFFSET_INVALID;
                if (e.offset >= 0) {
                    next[e.partition] = e.offset;
                } else {
                    next.erase(e.partition);
                }
                unmeasured.insert(e.partition);
                lag[e.partition] = lag_gauge(e.partition);
                owned_gauge(e.partition).set(1);
            }
            pending_seeks.clear();
            last_lag_ns = 0; // measure the new partitions' lag before this poll returns
            if (cooperative) {
                if (auto* e = rd_kafka_incremental_assign(rk.get(), parts)) {
                    spdlog::error("kafka: incremental assign: {}", rd_kafka_error_string(e));
                    rd_kafka_error_destroy(e);
                }
            } else if (auto e = rd_kafka_assign(rk.get(), parts); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
                spdlog::error("kafka: assign: {}", rd_kafka_err2str(e));
            }
            return;
        }
        auto lost = ids(parts);
        spdlog::info("kafka: group {} revoked {} [{}]", cfg.group, topic, joined(lost));
        if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && listener && listener->on_revoked) {
            listener->on_revoked(lost);
        }
        for (auto p : lost) {
            next.erase(p());
            unmeasured.erase(p());
            committed.erase(p());
            committed_lag_gauge(p()).set(0);
            owned_gauge(p()).set(0);
            if (auto it = lag.find(p()); it != lag.end()) {
                it->second->set(0);
                lag.erase(it);
            }
        }
        if (cooperative) {
            if (auto* e = rd_kafka_incremental_unassign(rk.get(), parts)) {
                rd_kafka_error_destroy(e);
            }
        } else {
            rd_kafka_assign(rk.get(), nullptr);
        }
    }

    static void rebalance_cb(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                             void* opaque) {
        static_cast<impl*>(opaque)->on_rebalance(err, parts);
    }

    // Where partition p is read next: ours, else librdkafka's (a partition
    // that started at its committed offset and has had no record yet: none).
    std::optional<int64_t> position(int32_t p) {
        if (auto it = next.find(p); it != next.end()) {
            return it->second;
        }
        tpl_ptr l(rd_kafka_topic_partition_list_new(1));
        rd_kafka_topic_partition_list_add(l.get(), topic.c_str(), p);
        if (rd_kafka_position(rk.get(), l.get()) != RD_KAFKA_RESP_ERR_NO_ERROR || l->elems[0].offset < 0) {
            return std::nullopt;
        }
        return l->elems[0].offset;
    }

    // The partition's end: asked of the broker the first time after an
    // assignment (the cache may be empty or from an earlier assignment),
    // then from what the fetches bring.
    std::optional<int64_t> end(int32_t p) {
        int64_t lo = 0;
        int64_t hi = -1;
        if (!unmeasured.contains(p)
            && rd_kafka_get_watermark_offsets(rk.get(), topic.c_str(), p, &lo, &hi)
                   == RD_KAFKA_RESP_ERR_NO_ERROR
            && hi >= 0) {
            return hi;
        }
        if (rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), p, &lo, &hi, 2'000)
                != RD_KAFKA_RESP_ERR_NO_ERROR
            || hi < 0) {
            return std::nullopt;
        }
        unmeasured.erase(p);
        return hi;
    }

    tpl_ptr commit_list(const offsets& next) const;
    result<void> committed_now(const rd_kafka_topic_partition_list_t* l);
    static void on_async_commit(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* l,
                                void* opaque);
    result<void> take_async_failure();

    void update_lag() {
        for (auto& [p, g] : lag) {
            auto pos = position(p);
            auto hi = pos ? end(p) : std::nullopt;
            if (hi) {
                g->set(static_cast<double>(std::max<int64_t>(0, *hi - *pos)));
                if (auto c = committed.find(p); c != committed.end()) {
                    committed_lag_gauge(p).set(static_cast<double>(std::max<int64_t>(0, *hi - c->second)));
                }
            }
        }
    }
};

kafka_consumer::kafka_consumer(std::unique_ptr<impl> i)
  : _impl(std::move(i)) {}

kafka_consumer::~kafka_consumer() {
    close();
}

result<std::unique_ptr<kafka_consumer>> kafka_consumer::open(const kafka_consumer_config& cfg) {
    auto im = std::make_unique<impl>();
    im->cfg = cfg;
    std::map<std::string, std::string> defaults{
        {"group.id", cfg.group},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", cfg.auto_offset_reset},
        {"enable.partition.eof", "false"},
        {"fetch.wait.max.ms", "10"},
        // librdkafka (before 2.1) stops fetching once the consumer's queue
        // holds queued.min.messages and looks again only about a second
        // later: at its default (100,000, one fetch round of 8 partitions of
        // small ticks) the consumer stalled and read a quarter of what
        // Kafka's Java consumer reads (`mdsp bench --only kafka`). Memory
        // stays bounded by queued.max.messages.kbytes.
        {"queued.min.messages", "1000000"},
        {"queued.max.messages.kbytes", "65536"},
    };
    auto conf = internal::make_conf(cfg.kafka, defaults);
    if (!conf) {
        return conf.error();
    }
    rd_kafka_conf_set_rebalance_cb(conf->get(), &impl::rebalance_cb);
    rd_kafka_conf_set_opaque(conf->get(), im.get());
    auto rk = internal::make_client(RD_KAFKA_CONSUMER, std::move(*conf));
    if (!rk) {
        return rk.error();
    }
    im->rk = std::move(*rk);
    rd_kafka_poll_set_consumer(im->rk.get());
    im->queue.reset(rd_kafka_queue_get_consumer(im->rk.get()));
    im->polled = &metrics::global().get_counter("mdsp_kafka_consumed_total", "Records read from Kafka");
    im->commits = &metrics::global().get_counter("mdsp_kafka_offset_commits_total",
                                                 "Consumer-offset commits the group coordinator accepted");
    return std::unique_ptr<kafka_consumer>(new kafka_consumer(std::move(im)));
}

void kafka_consumer::close() {
    if (!_impl || _impl->closed) {
        return;
    }
    _impl->closed = true;
    // Leaves the group; the rebalance callback runs on_revoked from here.
    if (auto e = rd_kafka_consumer_close(_impl->rk.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        spdlog::warn("kafka: closing the consumer: {}", rd_kafka_err2str(e));
    }
}

result<void> kafka_consumer::assign(std::string_view topic, const offsets& start) {
    _impl->topic = std::string(topic);
    tpl_ptr l(rd_kafka_topic_partition_list_new(static_cast<int>(start.size())));
    for (const auto& [p, o] : start) {
        rd_kafka_topic_partition_list_add(l.get(), _impl->topic.c_str(), p())->offset = o();
        _impl->lag[p()] = _impl->lag_gauge(p());
        if (o() >= 0) {
            _impl->next[p()] = o();
        }
        _impl->unmeasured.insert(p());
    }
    if (auto e = rd_kafka_assign(_impl->rk.get(), l.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return kafka_error(e, fmt::format("cannot assign {}", topic));
    }
    return ok();
}

result<void> kafka_consumer::subscribe(std::string_view topic, rebalance_listener listener) {
    _impl->topic = std::string(topic);
    _impl->listener = std::move(listener);
    tpl_ptr l(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(l.get(), _impl->topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto e = rd_kafka_subscribe(_impl->rk.get(), l.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return kafka_error(e, fmt::format("cannot subscribe to {}", topic));
    }
    return ok();
}

result<void> kafka_consumer::seek(partition_id p, mdsp::offset o) {
    if (_impl->in_assign) {
        _impl->pending_seeks[p()] = o();
        return ok();
    }
    tpl_ptr l(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(l.get(), _impl->topic.c_str(), p())->offset = o();
    if (auto* e = rd_kafka_seek_partitions(_impl->rk.get(), l.get(), 10'000)) {
        auto err = kafka_error(rd_kafka_error_code(e), fmt::format("cannot seek {} [{}]", _impl->topic, p()));
        rd_kafka_error_destroy(e);
        return err;
    }
    if (l->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return kafka_error(l->elems[0].err, fmt::format("cannot seek {} [{}]", _impl->topic, p()));
    }
    if (o() >= 0) {
        _impl->next[p()] = o();
    }
    return ok();
}

// Records come in batches off the consumer queue (one call for up to
// batch_max of them, not one each: Kafka's Java consumer reads this way, and
// one call a record read 10 % fewer a second); only when none is there does
// it wait, for the first, in rd_kafka_consumer_poll. Group events (the
// rebalance callback) are served inside either call.
result<void> kafka_consumer::poll(poll_result& out, size_t max_records, std::chrono::milliseconds timeout) {
    struct pending {
        int32_t partition;
        int64_t offset;
        int64_t ts;
        size_t key_at, key_len, value_at, value_len;
    };
    constexpr size_t batch_max = 1024;
    std::vector<pending> got;
    std::string buf;
    buf.reserve(4096); // on the heap, so moving the string keeps the views valid
    std::array<rd_kafka_message_t*, batch_max> batch{};
    int wait_ms = static_cast<int>(timeout.count());
    uint64_t seen = _impl->rebalances;
    // Takes one message (and destroys it); an error for the ones that end reading.
    auto take = [&](rd_kafka_message_t* m) -> result<void> {
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            auto err = m->err;
            std::string what = m->payload != nullptr
                                   ? std::string(static_cast<const char*>(m->payload), m->len)
                                   : std::string(rd_kafka_err2str(err));
            rd_kafka_message_destroy(m);
            if (err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                || err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED
                || err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) {
                return kafka_error(err, fmt::format("consuming {}: {}", _impl->topic, what));
            }
            if (err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                spdlog::warn("kafka: consuming {}: {} (retrying)", _impl->topic, what);
            }
            return ok();
        }
        pending p{m->partition, m->offset, 0, buf.size(), m->key_len, 0, m->len};
        rd_kafka_timestamp_type_t tt{};
        p.ts = rd_kafka_message_timestamp(m, &tt);
        buf.append(static_cast<const char*>(m->key), m->key_len);
        p.value_at = buf.size();
        buf.append(static_cast<const char*>(m->payload), m->len);
        got.push_back(p);
        rd_kafka_message_destroy(m);
        return ok();
    };
    // The listener ran inside the last call: the records before it were read
    // for the old assignment, from where it had got to. Given now, a
    // partition sought back (a rebuild) would jump over what lies between,
    // so they go; whoever owns them now reads them. (librdkafka itself drops
    // the ones of the same call that came before the rebalance.)
    auto after_call = [&] {
        if (_impl->rebalances != seen) {
            seen = _impl->rebalances;
            got.clear();
            buf.clear();
        }
    };
    while (got.size() < max_records) {
        const size_t want = std::min(batch_max, max_records - got.size());
        const ssize_t n = rd_kafka_consume_batch_queue(_impl->queue.get(), 0, batch.data(), want);
        after_call();
        if (n > 0) {
            result<void> status = ok();
            for (ssize_t i = 0; i < n; ++i) {
                auto* m = batch[static_cast<size_t>(i)];
                if (status) {
                    status = take(m);
                } else {
                    rd_kafka_message_destroy(m); // reading ends with the error
                }
            }
            if (!status) {
                return status;
            }
            continue;
        }
        if (!got.empty() || wait_ms == 0) {
            break;
        }
        rd_kafka_message_t* m = rd_kafka_consumer_poll(_impl->rk.get(), wait_ms);
        wait_ms = 0; // waited once; what came meanwhile is taken without waiting again
        after_call();
        if (m == nullptr) {
            break;
        }
        if (auto r = take(m); !r) {
            return r;
        }
    }
    for (const auto& p : got) {
        _impl->next[p.partition] = p.offset + 1;
    }
    if (!got.empty()) {
        out.storage.push_back(std::move(buf));
        const std::string& s = out.storage.back();
        for (const auto& p : got) {
            out.records.push_back(record_view{partition_id(p.partition), mdsp::offset(p.offset), p.ts,
                                              std::string_view(s).substr(p.key_at, p.key_len),
                                              std::string_view(s).substr(p.value_at, p.value_len)});
        }
        _impl->polled->inc(got.size());
    }
    if (mono_nanos() - _impl->last_lag_ns > 1'000'000'000) {
        _impl->last_lag_ns = mono_nanos();
        _impl->update_lag();
    }
    return ok();
}

std::optional<int64_t> kafka_consumer::lag() {
    if (_impl->last_lag_ns == 0) {
        return std::nullopt;
    }
    int64_t n = 0;
    for (const auto& [_, g] : _impl->lag) {
        n += static_cast<int64_t>(g->value());
    }
    return n;
}

namespace {

// A commit that failed for a reason that passes (no coordinator or broker
// now, a rebalance): safe to try again later, as errc::rebalance.
error commit_error(rd_kafka_resp_err_t e, const std::string& what) {
    auto err = kafka_error(e, what);
    if (e == RD_KAFKA_RESP_ERR__TRANSPORT || e == RD_KAFKA_RESP_ERR__TIMED_OUT
        || e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || e == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT) {
        err.code = make_error_code(errc::rebalance);
    }
    return err;
}

} // namespace

tpl_ptr kafka_consumer::impl::commit_list(const offsets& next) const {
    tpl_ptr l(rd_kafka_topic_partition_list_new(static_cast<int>(next.size())));
    for (const auto& [p, o] : next) {
        auto* e = rd_kafka_topic_partition_list_add(l.get(), topic.c_str(), p());
        e->offset = o();
        if (!commit_metadata.empty()) {
            // librdkafka copies the metadata into the request and frees it with the list.
            e->metadata = ::strdup(commit_metadata.c_str());
            e->metadata_size = commit_metadata.size();
        }
    }
    return l;
}

// The outcome of a commit, for the partitions in l; a failed one names the
// first partition that failed.
result<void> kafka_consumer::impl::committed_now(const rd_kafka_topic_partition_list_t* l) {
    for (int i = 0; i < l->cnt; ++i) {
        if (l->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return kafka_error(l->elems[i].err, fmt::format("cannot commit {} [{}] in group {}", topic,
                                                            l->elems[i].partition, cfg.group));
        }
    }
    commits->inc();
    // The newest wins: the answer to an asynchronous commit may arrive after
    // that of a later synchronous one, and must not set the lag back.
    for (int i = 0; i < l->cnt; ++i) {
        auto [it, added] = committed.try_emplace(l->elems[i].partition, l->elems[i].offset);
        if (!added) {
            it->second = std::max(it->second, l->elems[i].offset);
        }
    }
    return ok();
}

void kafka_consumer::impl::on_async_commit(rd_kafka_t*, rd_kafka_resp_err_t err,
                                           rd_kafka_topic_partition_list_t* l, void* opaque) {
    auto* self = static_cast<impl*>(opaque);
    result<void> r = ok();
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        r = commit_error(err, fmt::format("a commit of {} in group {} failed", self->topic, self->cfg.group));
    } else if (l != nullptr) {
        r = self->committed_now(l);
    }
    if (!r && !self->async_failure) {
        self->async_failure = r.error();
    }
}

result<void> kafka_consumer::impl::take_async_failure() {
    if (!async_failure) {
        return ok();
    }
    auto e = std::move(*async_failure);
    async_failure.reset();
    return e;
}

result<void> kafka_consumer::commit(const offsets& next) {
    if (auto r = _impl->take_async_failure(); !r) {
        return r;
    }
    if (next.empty()) {
        return ok();
    }
    auto l = _impl->commit_list(next);
    if (auto e = rd_kafka_commit(_impl->rk.get(), l.get(), 0); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return commit_error(
            e, fmt::format("cannot commit offsets of {} in group {}", _impl->topic, _impl->cfg.group));
    }
    return _impl->committed_now(l.get());
}

result<void> kafka_consumer::commit_async(const offsets& next) {
    if (auto r = _impl->take_async_failure(); !r) {
        return r;
    }
    if (next.empty()) {
        return ok();
    }
    // The answer comes on the consumer queue, served by a later poll().
    auto l = _impl->commit_list(next);
    if (auto e = rd_kafka_commit_queue(_impl->rk.get(), l.get(), _impl->queue.get(), &impl::on_async_commit,
                                       _impl.get());
        e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return commit_error(
            e, fmt::format("cannot commit offsets of {} in group {}", _impl->topic, _impl->cfg.group));
    }
    return ok();
}

result<std::optional<mdsp::offset>> kafka_consumer::committed(partition_id p) {
    auto c = committed_with_metadata(p);
    if (!c) {
        return c.error();
    }
    if (!*c) {
        return std::optional<mdsp::offset>{};
    }
    return std::optional<mdsp::offset>((*c)->first);
}

result<std::optional<std::pair<mdsp::offset, std::string>>>
kafka_consumer::committed_with_metadata(partition_id p) {
    tpl_ptr l(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(l.get(), _impl->topic.c_str(), p());
    if (auto e = rd_kafka_committed(_impl->rk.get(), l.get(), 10'000); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return kafka_error(e, fmt::format("cannot read the committed offset of {} [{}] in group {}",
                                          _impl->topic, p(), _impl->cfg.group));
    }
    const auto& e = l->elems[0];
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return kafka_error(e.err, fmt::format("committed offset of {} [{}]", _impl->topic, p()));
    }
    if (e.offset < 0) {
        return std::optional<std::pair<mdsp::offset, std::string>>{};
    }
    _impl->committed[p()] = e.offset;
    std::string md = e.metadata != nullptr
                         ? std::string(static_cast<const char*>(e.metadata), e.metadata_size)
                         : std::string();
    return std::optional<std::pair<mdsp::offset, std::string>>(std::pair(mdsp::offset(e.offset), md));
}

void kafka_consumer::set_commit_metadata(std::string md) {
    _impl->commit_metadata = std::move(md);
}

result<mdsp::offset> kafka_consumer::end_offset(partition_id p) {
    int64_t lo = 0;
    int64_t hi = 0;
    if (auto e =
            rd_kafka_query_watermark_offsets(_impl->rk.get(), _impl->topic.c_str(), p(), &lo, &hi, 10'000);
        e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return kafka_error(e, fmt::format("cannot read the end of {} [{}]", _impl->topic, p()));
    }
    return mdsp::offset(hi);
}

std::vector<partition_id> kafka_consumer::assignment() const {
    std::vector<partition_id> out;
    rd_kafka_topic_partition_list_t* l = nullptr;
    if (rd_kafka_assignment(_impl->rk.get(), &l) == RD_KAFKA_RESP_ERR_NO_ERROR && l != nullptr) {
        for (int i = 0; i < l->cnt; ++i) {
            out.emplace_back(l->elems[i].partition);
        }
        rd_kafka_topic_partition_list_destroy(l);
    }
    return out;
}

} // namespace mdsp::bus
