set terminal pngcairo size 900,540 font ",11"
set output "p3-dma-ready.png"
set termoption noenhanced
set grid
set key top left
set title "P3: 256 MiB DMA-ready (median, p10-p90)"
set style fill solid 0.6 border -1
set boxwidth 0.7
set ylabel "ms"
set yrange [0:*]
unset key
plot "p3-dma-ready.dat" using 0:2:xtic(1) with boxes, "" using 0:2:3:4 with yerrorbars lc black pt -1
