#include <gtest/gtest.h>

#include "http/static_files.h"
#include "testing/http_client.h"

namespace mdsp::http {
namespace {

TEST(static_files, serves_exact_paths_with_types_etags_and_revalidation) {
    server_config sc;
    sc.port = 0;
    server srv(sc);
    static constexpr std::string_view html = "<!doctype html><title>x</title>";
    static constexpr std::string_view js = "console.log(1)";
    add_static_routes(srv, {{"/index.html", "text/html; charset=utf-8", html},
                            {"/app.js", "text/javascript; charset=utf-8", js}});
    ASSERT_TRUE(srv.start());
    testing::client c(srv.port());
    auto root = c.get("/");
    EXPECT_EQ(root.status, 200u);
    EXPECT_EQ(root.body, html);
    EXPECT_EQ(root.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(root.raw["Cache-Control"], "no-cache");
    std::string etag(root.raw["ETag"]);
    ASSERT_FALSE(etag.empty());
    auto same = c.request(verb::get, "/index.html", {{"If-None-Match", etag}});
    EXPECT_EQ(same.status, 304u);
    EXPECT_TRUE(same.body.empty());
    auto app = c.get("/app.js");
    EXPECT_EQ(app.body, js);
    EXPECT_EQ(app.content_type, "text/javascript; charset=utf-8");
    EXPECT_NE(std::string(app.raw["ETag"]), etag);
    for (const char* p :
         {"/../index.html", "/%2e%2e/etc/passwd", "/app.js/", "/web/src/main.js", "/style.css"}) {
        auto s = c.get(p).status;
        EXPECT_TRUE(s == 404u || s == 400u) << p << ": " << s;
    }
}

} // namespace
} // namespace mdsp::http
