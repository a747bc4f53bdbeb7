#include "bus/kafka_topics.h"

#include <algorithm>
#include <array>
#include <map>

#include <fmt/format.h>

#include "bus/internal/rdkafka.h"

namespace mdsp::bus {

namespace tp = http::topics;
using internal::rk_ptr;
using internal::tpl_ptr;

namespace {

struct metadata_deleter {
    void operator()(const rd_kafka_metadata_t* m) const noexcept { rd_kafka_metadata_destroy(m); }
};
using metadata_ptr = std::unique_ptr<const rd_kafka_metadata_t, metadata_deleter>;

struct queue_deleter {
    void operator()(rd_kafka_queue_t* q) const noexcept { rd_kafka_queue_destroy(q); }
};
struct event_deleter {
    void operator()(rd_kafka_event_t* e) const noexcept { rd_kafka_event_destroy(e); }
};
struct options_deleter {
    void operator()(rd_kafka_AdminOptions_t* o) const noexcept { rd_kafka_AdminOptions_destroy(o); }
};
struct message_deleter {
    void operator()(rd_kafka_message_t* m) const noexcept { rd_kafka_message_destroy(m); }
};
using queue_ptr = std::unique_ptr<rd_kafka_queue_t, queue_deleter>;
using event_ptr = std::unique_ptr<rd_kafka_event_t, event_deleter>;
using options_ptr = std::unique_ptr<rd_kafka_AdminOptions_t, options_deleter>;
using message_ptr = std::unique_ptr<rd_kafka_message_t, message_deleter>;

int millis(std::chrono::milliseconds d) {
    return static_cast<int>(std::clamp<int64_t>(d.count(), 1, 600'000));
}

// A Kafka error in the Topics view's terms: what failed, librdkafka's
// reason, and what to check.
mdsp::error view_error(rd_kafka_resp_err_t err, std::string_view what) {
    tp::errc c = tp::errc::failed;
    switch (err) {
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        c = tp::errc::unknown_topic;
        break;
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        c = tp::errc::unknown_partition;
        break;
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
        c = tp::errc::offset_out_of_range;
        break;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
        c = tp::errc::unavailable;
        break;
    default:
        break;
    }
    auto e = internal::kafka_error(err, what); // its message carries the hint
    return mdsp::error{make_error_code(c), e.what()};
}

std::string str(const char* s) {
    return s != nullptr ? std::string(s) : std::string();
}

// The records of a page are bounded by limit and bytes; librdkafka's
// prefetch is capped to about the same, so a page never holds much more.
std::map<std::string, std::string> reader_defaults() {
    return {
        {"group.id", "mdsp-topics-view"}, // assign() needs one; nothing is committed
        {"enable.auto.commit", "false"},  {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"}, {"allow.auto.create.topics", "false"},
        {"queued.min.messages", "100"},   {"queued.max.messages.kbytes", "1024"},
        {"fetch.max.bytes", "1048576"},   {"max.partition.fetch.bytes", "1048576"},
        {"fetch.wait.max.ms", "100"},
    };
}

} // namespace

struct kafka_topics::impl {
    rk_ptr admin; // metadata, ListOffsets and the Admin API
    std::chrono::milliseconds timeout;
    std::mutex read_mutex; // one page read at a time on `reader`
    rk_ptr reader;

    result<metadata_ptr> metadata() {
        const rd_kafka_metadata_t* md = nullptr;
        auto err = rd_kafka_metadata(admin.get(), 1, nullptr, &md, millis(timeout));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return view_error(err, "cannot read the Kafka cluster's metadata");
        }
        return metadata_ptr(md);
    }

    // Each partition's offset at `ts` (RD_KAFKA_OFFSET_BEGINNING/END or a
    // time in ms), in the list's order; -1 where the time is past the end.
    result<void> offsets_at(rd_kafka_topic_partition_list_t* l, int64_t ts) {
        if (l->cnt == 0) {
            return ok();
        }
        for (int i = 0; i < l->cnt; ++i) {
            l->elems[i].offset = ts;
        }
        auto err = rd_kafka_offsets_for_times(admin.get(), l, millis(timeout));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return view_error(err, "cannot list the partitions' offsets");
        }
        for (int i = 0; i < l->cnt; ++i) {
            if (l->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                return view_error(l->elems[i].err,
                                  fmt::format("cannot list the offsets of partition {} of {}",
                                              l->elems[i].partition, l->elems[i].topic));
            }
        }
        return ok();
    }

    // The topic's partition, or why there is none.
    result<void> check_partition(std::string_view topic, int32_t partition) {
        auto md = metadata();
        if (!md) {
            return md.error();
        }
        for (int i = 0; i < (*md)->topic_cnt; ++i) {
            const auto& t = (*md)->topics[i];
            if (topic != t.topic) {
                continue;
            }
            if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                return view_error(t.err, fmt::format("topic {}", topic));
            }
            if (partition < 0 || partition >= t.partition_cnt) {
                return make_error(tp::errc::unknown_partition, "topic {} has no partition {} (it has {})",
                                  topic, partition, t.partition_cnt);
            }
            return ok();
        }
        return make_error(tp::errc::unknown_topic, "no topic {} on the Kafka cluster", topic);
    }

    // Start and end offsets of every partition of the topics given.
    result<void> fill_offsets(std::vector<tp::topic_info>& topics) {
        tpl_ptr starts(rd_kafka_topic_partition_list_new(16));
        for (const auto& t : topics) {
            for (const auto& p : t.partitions) {
                rd_kafka_topic_partition_list_add(starts.get(), t.name.c_str(), p.id);
            }
        }
        tpl_ptr ends(rd_kafka_topic_partition_list_copy(starts.get()));
        if (auto r = offsets_at(starts.get(), RD_KAFKA_OFFSET_BEGINNING); !r) {
            return r;
        }
        if (auto r = offsets_at(ends.get(), RD_KAFKA_OFFSET_END); !r) {
            return r;
        }
        int i = 0;
        for (auto& t : topics) {
            for (auto& p : t.partitions) {
                p.start_offset = std::max<int64_t>(0, starts->elems[i].offset);
                p.end_offset = std::max(p.start_offset, ends->elems[i].offset);
                ++i;
            }
        }
        return ok();
    }

    // One admin request's result event, waited for at most the timeout.
    result<event_ptr> admin_result(rd_kafka_queue_t* q, rd_kafka_event_type_t type, std::string_view what) {
        event_ptr ev(rd_kafka_queue_poll(q, millis(timeout + std::chrono::seconds(1))));
        if (!ev) {
            return view_error(RD_KAFKA_RESP_ERR__TIMED_OUT, what);
        }
        if (rd_kafka_event_type(ev.get()) != type) {
            return make_error(tp::errc::failed, "{}: an unexpected answer from librdkafka", what);
        }
        if (auto err = rd_kafka_event_error(ev.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            auto e = view_error(err, what);
            return mdsp::error{e.code,
                               fmt::format("{} ({})", e.what(), str(rd_kafka_event_error_string(ev.get())))};
        }
        return ev;
    }

    options_ptr options(rd_kafka_admin_op_t op) {
        options_ptr o(rd_kafka_AdminOptions_new(admin.get(), op));
        std::array<char, 256> err{};
        (void)rd_kafka_AdminOptions_set_request_timeout(o.get(), millis(timeout), err.data(), err.size());
        return o;
    }
};

kafka_topics::kafka_topics(std::unique_ptr<impl> i)
  : _impl(std::move(i)) {}

kafka_topics::~kafka_topics() {
    if (_impl && _impl->reader) {
        rd_kafka_consumer_close(_impl->reader.get());
    }
}

result<std::unique_ptr<kafka_topics>> kafka_topics::open(const kafka_config& cfg,
                                                         std::chrono::milliseconds timeout) {
    auto im = std::make_unique<impl>();
    im->timeout = timeout;
    kafka_config named = cfg;
    named.client_id = cfg.client_id + "-topics-view";
    // Asking for a topic's offsets must not create it on a broker with
    // auto.create.topics.enable.
    auto ac = internal::make_conf(named, {{"allow.auto.create.topics", "false"}});
    if (!ac) {
        return ac.error();
    }
    auto admin = internal::make_client(RD_KAFKA_PRODUCER, std::move(*ac));
    if (!admin) {
        return admin.error();
    }
    im->admin = std::move(*admin);
    auto rc = internal::make_conf(named, reader_defaults());
    if (!rc) {
        return rc.error();
    }
    auto reader = internal::make_client(RD_KAFKA_CONSUMER, std::move(*rc));
    if (!reader) {
        return reader.error();
    }
    im->reader = std::move(*reader);
    rd_kafka_poll_set_consumer(im->reader.get());
    return std::unique_ptr<kafka_topics>(new kafka_topics(std::move(im)));
}

namespace {

tp::topic_info topic_from(const rd_kafka_metadata_topic_t& t) {
    tp::topic_info out{t.topic, {}};
    for (int i = 0; i < t.partition_cnt; ++i) {
        const auto& p = t.partitions[i];
        tp::partition_info pi;
        pi.id = p.id;
        if (p.leader >= 0) {
            pi.leader = p.leader;
        }
        pi.replicas.assign(p.replicas, p.replicas + p.replica_cnt);
        pi.isr.assign(p.isrs, p.isrs + p.isr_cnt);
        out.partitions.push_back(std::move(pi));
    }
    std::sort(out.partitions.begin(), out.partitions.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

} // namespace

result<std::vector<tp::topic_info>> kafka_topics::list_topics() {
    auto md = _impl->metadata();
    if (!md) {
        return md.error();
    }
    std::vector<tp::topic_info> out;
    for (int i = 0; i < (*md)->topic_cnt; ++i) {
        const auto& t = (*md)->topics[i];
        if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR || std::string_view(t.topic).starts_with("__")) {
            continue;
        }
        out.push_back(topic_from(t));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    if (auto r = _impl->fill_offsets(out); !r) {
        return r.error();
    }
    return out;
}

result<tp::topic_info> kafka_topics::describe_topic(std::string_view name) {
    // All topics' metadata: asking for one by handle could create it on a
    // broker with auto.create.topics.enable.
    auto md = _impl->metadata();
    if (!md) {
        return md.error();
    }
    for (int i = 0; i < (*md)->topic_cnt; ++i) {
        const auto& t = (*md)->topics[i];
        if (name != t.topic) {
            continue;
        }
        if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return view_error(t.err, fmt::format("topic {}", name));
        }
        std::vector<tp::topic_info> one{topic_from(t)};
        if (auto r = _impl->fill_offsets(one); !r) {
            return r.error();
        }
        return std::move(one.front());
    }
    return make_error(tp::errc::unknown_topic, "no topic {} on the Kafka cluster", name);
}

namespace {

// One partition's committed offset; nullopt where the group has none.
struct committed_at {
    std::string topic;
    int32_t partition = 0;
    std::optional<int64_t> offset;
};

} // namespace

result<std::vector<tp::group_info>> kafka_topics::list_groups() {
    auto& im = *_impl;
    queue_ptr q(rd_kafka_queue_new(im.admin.get()));

    // The groups' ids and states.
    auto lo = im.options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    rd_kafka_ListConsumerGroups(im.admin.get(), lo.get(), q.get());
    auto lev =
        im.admin_result(q.get(), RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, "cannot list the consumer groups");
    if (!lev) {
        return lev.error();
    }
    const auto* lres = rd_kafka_event_ListConsumerGroups_result(lev->get());
    size_t valid_cnt = 0;
    size_t error_cnt = 0;
    const auto** valid = rd_kafka_ListConsumerGroups_result_valid(lres, &valid_cnt);
    const auto** errors = rd_kafka_ListConsumerGroups_result_errors(lres, &error_cnt);
    if (valid_cnt == 0 && error_cnt > 0) {
        auto e = view_error(rd_kafka_error_code(errors[0]), "cannot list the consumer groups");
        return mdsp::error{e.code, fmt::format("{} ({})", e.what(), str(rd_kafka_error_string(errors[0])))};
    }
    std::vector<std::string> ids;
    for (size_t i = 0; i < valid_cnt; ++i) {
        ids.push_back(str(rd_kafka_ConsumerGroupListing_group_id(valid[i])));
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.size() > max_groups) {
        ids.resize(max_groups);
    }
    std::vector<tp::group_info> out;
    if (ids.empty()) {
        return out;
    }

    // Their states, members and assignments.
    std::vector<const char*> cids;
    for (const auto& id : ids) {
        cids.push_back(id.c_str());
        out.push_back({id, "", "group coordinator", {}, {}});
    }
    auto dopt = im.options(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    rd_kafka_DescribeConsumerGroups(im.admin.get(), cids.data(), cids.size(), dopt.get(), q.get());
    auto dev = im.admin_result(q.get(), RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT,
                               "cannot describe the consumer groups");
    if (!dev) {
        return dev.error();
    }
    size_t desc_cnt = 0;
    const auto** descs = rd_kafka_DescribeConsumerGroups_result_groups(
        rd_kafka_event_DescribeConsumerGroups_result(dev->get()), &desc_cnt);
    std::vector<committed_at> wanted; // partitions whose end offsets the lag needs
    for (size_t i = 0; i < desc_cnt; ++i) {
        std::string id = str(rd_kafka_ConsumerGroupDescription_group_id(descs[i]));
        auto g = std::find_if(out.begin(), out.end(), [&](const auto& x) { return x.id == id; });
        if (g == out.end() || rd_kafka_ConsumerGroupDescription_error(descs[i]) != nullptr) {
            continue; // its state stays unknown ("")
        }
        g->state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(descs[i]));
        for (size_t m = 0; m < rd_kafka_ConsumerGroupDescription_member_count(descs[i]); ++m) {
            const auto* md = rd_kafka_ConsumerGroupDescription_member(descs[i], m);
            tp::group_member gm{str(rd_kafka_MemberDescription_consumer_id(md)),
                                str(rd_kafka_MemberDescription_client_id(md)),
                                str(rd_kafka_MemberDescription_host(md)),
                                {}};
            const auto* as = rd_kafka_MemberDescription_assignment(md);
            const auto* parts = as != nullptr ? rd_kafka_MemberAssignment_partitions(as) : nullptr;
            for (int p = 0; parts != nullptr && p < parts->cnt; ++p) {
                gm.assignment.emplace_back(parts->elems[p].topic, parts->elems[p].partition);
            }
            g->members.push_back(std::move(gm));
        }
    }

    // Their committed offsets, one group a request (librdkafka 2.0.2's limit).
    std::vector<std::vector<committed_at>> committed(out.size());
    for (size_t gi = 0; gi < out.size(); ++gi) {
        auto* req = rd_kafka_ListConsumerGroupOffsets_new(out[gi].id.c_str(), nullptr);
        auto oopt = im.options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
        rd_kafka_ListConsumerGroupOffsets(im.admin.get(), &req, 1, oopt.get(), q.get());
        rd_kafka_ListConsumerGroupOffsets_destroy(req);
        auto what = fmt::format("cannot read the committed offsets of group {}", out[gi].id);
        auto oev = im.admin_result(q.get(), RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, what);
        if (!oev) {
            return oev.error();
        }
        size_t gcnt = 0;
        const auto** gres = rd_kafka_ListConsumerGroupOffsets_result_groups(
            rd_kafka_event_ListConsumerGroupOffsets_result(oev->get()), &gcnt);
        for (size_t k = 0; k < gcnt; ++k) {
            if (const auto* err = rd_kafka_group_result_error(gres[k]); err != nullptr) {
                auto e = view_error(rd_kafka_error_code(err), what);
                return mdsp::error{e.code, fmt::format("{} ({})", e.what(), str(rd_kafka_error_string(err)))};
            }
            const auto* parts = rd_kafka_group_result_partitions(gres[k]);
            for (int p = 0; parts != nullptr && p < parts->cnt; ++p) {
                const auto& e = parts->elems[p];
                std::optional<int64_t> at;
                if (e.err == RD_KAFKA_RESP_ERR_NO_ERROR && e.offset >= 0) {
                    at = e.offset;
                }
                committed[gi].push_back({e.topic, e.partition, at});
            }
        }
        // Assigned partitions without a commit count too: all their records are lag.
        for (const auto& m : out[gi].members) {
            for (const auto& [t, p] : m.assignment) {
                auto& c = committed[gi];
                if (std::none_of(c.begin(), c.end(),
                                 [&](const auto& x) { return x.topic == t && x.partition == p; })) {
                    c.push_back({t, p, std::nullopt});
                }
            }
        }
        std::sort(committed[gi].begin(), committed[gi].end(), [](const auto& a, const auto& b) {
            return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
        });
    }

    // Lag = end - committed, from the partitions' current offsets; a
    // partition the cluster no longer has is left out.
    tpl_ptr starts(rd_kafka_topic_partition_list_new(16));
    for (const auto& c : committed) {
        for (const auto& x : c) {
            if (rd_kafka_topic_partition_list_find(starts.get(), x.topic.c_str(), x.partition) == nullptr) {
                rd_kafka_topic_partition_list_add(starts.get(), x.topic.c_str(), x.partition);
            }
        }
    }
    tpl_ptr ends(rd_kafka_topic_partition_list_copy(starts.get()));
    for (auto* l : {starts.get(), ends.get()}) {
        for (int i = 0; i < l->cnt; ++i) {
            l->elems[i].offset = l == starts.get() ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
        }
        if (l->cnt > 0) {
            if (auto err = rd_kafka_offsets_for_times(im.admin.get(), l, millis(im.timeout));
                err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                return view_error(err, "cannot list the offsets of the groups' partitions");
            }
        }
    }
    for (size_t gi = 0; gi < out.size(); ++gi) {
        for (const auto& x : committed[gi]) {
            const auto* s = rd_kafka_topic_partition_list_find(starts.get(), x.topic.c_str(), x.partition);
            const auto* e = rd_kafka_topic_partition_list_find(ends.get(), x.topic.c_str(), x.partition);
            if (s == nullptr || e == nullptr || s->err != RD_KAFKA_RESP_ERR_NO_ERROR
                || e->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                continue;
            }
            int64_t start = std::max<int64_t>(0, s->offset);
            int64_t end = std::max(start, e->offset);
            int64_t lag = x.offset ? std::max<int64_t>(0, end - std::max(*x.offset, start)) : end - start;
            out[gi].offsets.push_back({x.topic, x.partition, x.offset, end, lag});
        }
    }
    return out;
}

result<std::vector<tp::message>> kafka_topics::read(const tp::read_request& r) {
    auto& im = *_impl;
    if (auto c = im.check_partition(r.topic, r.partition); !c) {
        return c.error();
    }
    int64_t start = 0;
    int64_t end = 0;
    auto werr = rd_kafka_query_watermark_offsets(im.admin.get(), r.topic.c_str(), r.partition, &start, &end,
                                                 millis(r.timeout));
    if (werr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return view_error(werr,
                          fmt::format("cannot read the offsets of partition {} of {}", r.partition, r.topic));
    }
    if (r.offset < start || r.offset > end) {
        return make_error(tp::errc::offset_out_of_range,
                          "offset {} is outside partition {} of {}, which holds {} to {}", r.offset,
                          r.partition, r.topic, start, end);
    }
    std::vector<tp::message> out;
    if (r.limit == 0 || r.offset == end) {
        return out;
    }

    std::lock_guard lock(im.read_mutex);
    rd_kafka_t* rk = im.reader.get();
    tpl_ptr at(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(at.get(), r.topic.c_str(), r.partition)->offset = r.offset;
    if (auto err = rd_kafka_assign(rk, at.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return view_error(err, fmt::format("cannot read partition {} of {}", r.partition, r.topic));
    }
    // Whatever ends the page, the partition is unassigned and its prefetch dropped.
    struct unassign {
        rd_kafka_t* rk;
        ~unassign() { rd_kafka_assign(rk, nullptr); }
    } unassign_after{rk};

    auto deadline = std::chrono::steady_clock::now() + r.timeout;
    size_t bytes = 0;
    bool at_end = false;
    std::string last_error; // a passing error met on the way
    while (out.size() < r.limit && bytes < r.max_read_bytes && !at_end) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline
                                                                          - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            break;
        }
        message_ptr m(rd_kafka_consumer_poll(rk, millis(std::min(left, std::chrono::milliseconds(200)))));
        if (!m) {
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            at_end = true;
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            // librdkafka retries a broker's passing trouble (a moved
            // leader, a dropped connection) itself: wait for it within the
            // timeout, and say what it was if the page stays empty.
            bool passing = m->err == RD_KAFKA_RESP_ERR__TRANSPORT || m->err == RD_KAFKA_RESP_ERR__TIMED_OUT
                           || m->err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION
                           || m->err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE
                           || m->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
            if (!passing) {
                return view_error(m->err, fmt::format("cannot read partition {} of {} from offset {}",
                                                      r.partition, r.topic, r.offset));
            }
            last_error = str(rd_kafka_message_errstr(m.get()));
            continue;
        }
        if (m->partition != r.partition || r.topic != rd_kafka_topic_name(m->rkt) || m->offset < r.offset) {
            continue; // left from an earlier page's assignment
        }
        tp::message msg;
        msg.partition = m->partition;
        msg.offset = m->offset;
        rd_kafka_timestamp_type_t tst{};
        msg.timestamp_ms = rd_kafka_message_timestamp(m.get(), &tst);
        if (m->key != nullptr) {
            msg.key = std::string(static_cast<const char*>(m->key), std::min(m->key_len, r.max_value_bytes));
        }
        if (m->payload != nullptr) {
            msg.value_bytes = m->len;
            msg.value_cut = m->len > r.max_value_bytes;
            msg.value =
                std::string(static_cast<const char*>(m->payload), std::min(m->len, r.max_value_bytes));
        }
        rd_kafka_headers_t* hs = nullptr;
        if (rd_kafka_message_headers(m.get(), &hs) == RD_KAFKA_RESP_ERR_NO_ERROR && hs != nullptr) {
            const char* name = nullptr;
            const void* val = nullptr;
            size_t size = 0;
            for (size_t i = 0;
                 i < 64 && rd_kafka_header_get_all(hs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
                 ++i) {
                std::string key = str(name).substr(0, 1024);
                msg.headers.push_back(
                    {std::move(key), val != nullptr ? std::optional(std::string(static_cast<const char*>(val),
                                                                                std::min<size_t>(size, 4096)))
                                                    : std::nullopt});
            }
        }
        bytes += m->key_len + m->len;
        at_end = m->offset + 1 >= end;
        out.push_back(std::move(msg));
    }
    if (out.empty() && !at_end) {
        return make_error(tp::errc::unavailable,
                          "no records came from partition {} of {} at offset {} within {} ms{}; check that "
                          "its leader is up",
                          r.partition, r.topic, r.offset, r.timeout.count(),
                          last_error.empty() ? "" : " (" + last_error + ")");
    }
    return out;
}

result<int64_t> kafka_topics::offset_for_time(std::string_view topic, int32_t partition, int64_t ts_ms) {
    auto& im = *_impl;
    if (auto c = im.check_partition(topic, partition); !c) {
        return c.error();
    }
    std::string name(topic);
    tpl_ptr l(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(l.get(), name.c_str(), partition);
    if (auto r = im.offsets_at(l.get(), std::max<int64_t>(0, ts_ms)); !r) {
        return r.error();
    }
    if (l->elems[0].offset >= 0) {
        return l->elems[0].offset;
    }
    // No record at or after ts_ms: the end offset, as the interface says.
    tpl_ptr e(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(e.get(), name.c_str(), partition);
    if (auto r = im.offsets_at(e.get(), RD_KAFKA_OFFSET_END); !r) {
        return r.error();
    }
    return e->elems[0].offset;
}

} // namespace mdsp::bus
