// Site search with Pagefind's static index. Progressive enhancement: the page already
// offers lists to browse without JavaScript; this fills in results for ?q=.
(async () => {
  const form = document.getElementById("hiroba-search-form");
  const input = document.getElementById("hiroba-search-query");
  const status = document.getElementById("hiroba-search-status");
  const list = document.getElementById("hiroba-search-results");
  if (!form) return;
  const query = new URLSearchParams(window.location.search).get("q") || "";
  input.value = query;
  if (!query.trim()) return;
  status.textContent = "検索しています…";
  let pagefind;
  try {
    pagefind = await import("/pagefind/pagefind.js");
  } catch (error) {
    status.textContent = "検索の索引を読み込めませんでした。時間をおいてもう一度お試しください。";
    return;
  }
  const search = await pagefind.search(query);
  const results = await Promise.all(search.results.slice(0, 20).map((r) => r.data()));
  list.replaceChildren(
    ...results.map((data) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = data.url;
      link.textContent = data.meta.title || data.url;
      const excerpt = document.createElement("p");
      excerpt.textContent = data.excerpt.replace(/<[^>]+>/g, "");
      item.append(link, excerpt);
      return item;
    }),
  );
  status.textContent = `「${query}」の検索結果：${search.results.length}件`;
  document.title = `「${query}」の検索結果 - ${document.title}`;
})();
